"""statistics for the new store columns, so PostgreSQL plans store-scoped queries well

Adding `store_id` with a default writes no row, so PostgreSQL keeps no statistics for it until
an ANALYZE; until then it guesses that `store_id = 1` matches one row in a thousand and picks
nested loops that made the demo catalog page about five times slower.

Revision ID: 0013_analyze_after_stores
Revises: 0012_holding_limits
Create Date: 2026-12-01 15:35:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_analyze_after_stores'
down_revision = '0012_holding_limits'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE")


def downgrade():
    pass
