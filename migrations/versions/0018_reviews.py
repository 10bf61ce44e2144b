"""reviews from verified buyers

Revision ID: 0018_reviews
Revises: 0017_store_led_indexes
Create Date: 2026-12-06 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_reviews'
down_revision = '0017_store_led_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_item_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_name', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_review_rating_one_to_five')),
    sa.CheckConstraint("status IN ('pending', 'published', 'hidden')", name=op.f('ck_review_status_known')),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_review_order_id_shop_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_item_id'], ['order_item.id'], name=op.f('fk_review_order_item_id_order_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_review_product_id_product'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_review_store_id_store'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
    sa.UniqueConstraint('order_item_id', name=op.f('uq_review_order_item_id'))
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_review_product_status', ['store_id', 'product_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_review_store_status', ['store_id', 'status', 'created_at'], unique=False)

    # What the product's published reviews add up to, kept by the review service.
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('rating_sum', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('rating_sum')
        batch_op.drop_column('rating_count')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index('ix_review_store_status')
        batch_op.drop_index('ix_review_product_status')
        batch_op.drop_index(batch_op.f('ix_review_order_id'))
    op.drop_table('review')
