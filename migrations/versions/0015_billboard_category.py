"""billboards belong to a category and may be featured

A billboard shows on its category's page, and on the home page when featured. Every billboard
there was is featured, so the home page shows what it showed before.

Revision ID: 0015_billboard_category
Revises: 0014_store_owner
Create Date: 2026-12-05 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_billboard_category'
down_revision = '0014_store_owner'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('banner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('featured', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_banner_category_id'), ['category_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_banner_category_id_category'), 'category',
                                    ['category_id'], ['id'], ondelete='SET NULL')

    banner = sa.table('banner', sa.column('featured', sa.Boolean()))
    op.execute(banner.update().values(featured=True))


def downgrade():
    with op.batch_alter_table('banner', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_banner_category_id_category'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_banner_category_id'))
        batch_op.drop_column('featured')
        batch_op.drop_column('category_id')
