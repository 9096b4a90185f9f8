"""CREATE INDEX CONCURRENTLY left in Alembic's transaction: Postgres refuses it"""

from alembic import op

revision = "d4"
down_revision = "c3"


def upgrade():
    op.create_index("accounts_name", "accounts", ["name"], postgresql_concurrently=True)
