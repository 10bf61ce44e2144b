"""store-led indexes: the catalog's indexes begin with store_id, and lone store_id indexes go
where another index already begins with it

Every scoped query says `store_id = ?`. Beside a lone store_id index, SQLite's planner (which
keeps no statistics) took that index for the listing and its pictures and read every row of
the store; PostgreSQL has statistics but gains the same narrower scans.

Revision ID: 0017_store_led_indexes
Revises: 0016_option_lists
Create Date: 2026-12-05 13:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017_store_led_indexes'
down_revision = '0016_option_lists'
branch_labels = None
depends_on = None

# Tables whose unique constraint (or a new index) already begins with store_id.
LONE_INDEX_DROPPED = ['cart', 'category', 'coupon', 'processed_event', 'product',
                      'product_image', 'shop_order', 'store_membership', 'variant']
# (table, index, columns before, columns after)
REBUILT = [
    ('product', 'ix_product_listing', ['archived', 'category_id', 'created_at'],
     ['store_id', 'archived', 'category_id', 'created_at']),
    ('variant', 'ix_variant_product_price', ['product_id', 'price_cents'],
     ['store_id', 'product_id', 'price_cents']),
]


def upgrade():
    for table, index, _, columns in REBUILT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
            batch_op.create_index(index, columns, unique=False)
    with op.batch_alter_table('product_image', schema=None) as batch_op:
        batch_op.drop_index('ix_product_image_product_id')
        batch_op.create_index('ix_product_image_product', ['store_id', 'product_id', 'position'],
                              unique=False)
    for table in LONE_INDEX_DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_store_id')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ANALYZE')


def downgrade():
    for table in LONE_INDEX_DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f'ix_{table}_store_id', ['store_id'], unique=False)
    with op.batch_alter_table('product_image', schema=None) as batch_op:
        batch_op.drop_index('ix_product_image_product')
        batch_op.create_index('ix_product_image_product_id', ['product_id'], unique=False)
    for table, index, columns, _ in REBUILT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
            batch_op.create_index(index, columns, unique=False)
