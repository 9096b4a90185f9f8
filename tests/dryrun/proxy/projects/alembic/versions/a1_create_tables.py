"""create accounts and orders"""

import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text))
    op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True), sa.Column("account_id", sa.Integer))
    op.execute("INSERT INTO accounts VALUES (1, 'a')")
    op.execute("INSERT INTO orders VALUES (1, 1)")
