"""a volatile default (rewrites accounts), a foreign key (validates orders)"""

import sqlalchemy as sa
from alembic import op

revision = "b2"
down_revision = "a1"


def upgrade():
    op.add_column("accounts", sa.Column("created", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()")))
    op.create_foreign_key("orders_account_fk", "orders", "accounts", ["account_id"], ["id"])
