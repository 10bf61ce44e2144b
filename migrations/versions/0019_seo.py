"""titles, descriptions and a favicon staff can set

Revision ID: 0019_seo
Revises: 0018_reviews
Create Date: 2026-12-06 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_seo'
down_revision = '0018_reviews'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('product', 'category'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('meta_title', sa.String(length=70), nullable=True))
            batch_op.add_column(sa.Column('meta_description', sa.String(length=160),
                                          nullable=True))
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('favicon', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.drop_column('favicon')
    for table in ('category', 'product'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('meta_description')
            batch_op.drop_column('meta_title')
