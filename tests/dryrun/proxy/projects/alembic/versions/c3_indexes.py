"""CREATE INDEX CONCURRENTLY outside Alembic's transaction (autocommit_block)"""

from alembic import op

revision = "c3"
down_revision = "b2"


def upgrade():
    with op.get_context().autocommit_block():
        op.create_index("orders_account", "orders", ["account_id"], postgresql_concurrently=True)
