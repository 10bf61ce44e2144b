"""stores: the store table, its domains, and a store_id on every row a store owns

Every existing row moves into one default store (slug "default"), so a single-shop
installation goes on as before. Slugs, SKUs, coupon codes and order numbers become unique per
store; a customer has one cart per store. The default store numbers its next order where the
old numbering (order id + 10000) left off.

Revision ID: 0010_stores
Revises: 0008_webhook_failure
Create Date: 2026-12-01 14:00:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_stores'
down_revision = '0008_webhook_failure'
branch_labels = None
depends_on = None

# Table: (its unique constraint that becomes per store, that constraint's columns after).
OWNED = {
    'audit_entry': None,
    'banner': None,
    'cart': ('uq_cart_user_id', 'uq_cart_store_user', ['store_id', 'user_id']),
    'category': ('uq_category_slug', 'uq_category_store_slug', ['store_id', 'slug']),
    'coupon': ('uq_coupon_code', 'uq_coupon_store_code', ['store_id', 'code']),
    'product': ('uq_product_slug', 'uq_product_store_slug', ['store_id', 'slug']),
    'processed_event': ('uq_processed_event_event_id', 'uq_processed_event_store_event',
                        ['store_id', 'event_id']),
    'product_image': None,
    'shipping_method': None,
    'shop_order': ('uq_shop_order_number', 'uq_shop_order_store_number', ['store_id', 'number']),
    'variant': ('uq_variant_sku', 'uq_variant_store_sku', ['store_id', 'sku']),
    'webhook_failure': None,
    'wishlist_item': None,
}


def upgrade():
    store = op.create_table('store',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('order_prefix', sa.String(length=8), nullable=False),
    sa.Column('next_order_number', sa.Integer(), nullable=False),
    sa.Column('stripe_secret_key', sa.String(length=255), nullable=True),
    sa.Column('stripe_publishable_key', sa.String(length=255), nullable=True),
    sa.Column('stripe_webhook_secret', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store')),
    sa.UniqueConstraint('slug', name=op.f('uq_store_slug'))
    )
    op.create_table('store_domain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=253), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_store_domain_store_id_store'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_domain')),
    sa.UniqueConstraint('host', name=op.f('uq_store_domain_host'))
    )
    with op.batch_alter_table('store_domain', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_domain_store_id'), ['store_id'], unique=False)

    bind = op.get_bind()
    last_order = bind.execute(sa.text("SELECT MAX(id) FROM shop_order")).scalar() or 0
    # The first row of a new table: id 1 on SQLite and PostgreSQL alike.
    op.bulk_insert(store, [{'slug': 'default', 'is_default': True, 'order_prefix': 'SH',
                            'next_order_number': last_order + 10001,
                            'created_at': datetime.now(timezone.utc)}])
    default_id = bind.execute(sa.text("SELECT id FROM store WHERE slug = 'default'")).scalar()

    for table, unique in OWNED.items():
        # Every row there is the default store's; new rows always name their store.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('store_id', sa.Integer(), nullable=False,
                                          server_default=sa.text(str(default_id))))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('store_id', server_default=None)
            if unique is not None:
                old, new, columns = unique
                batch_op.drop_constraint(old, type_='unique')
                batch_op.create_unique_constraint(new, columns)
            batch_op.create_index(f'ix_{table}_store_id', ['store_id'], unique=False)
            batch_op.create_foreign_key(f'fk_{table}_store_id_store', 'store', ['store_id'],
                                        ['id'], ondelete='CASCADE')
    with op.batch_alter_table('cart', schema=None) as batch_op:
        batch_op.create_index('ix_cart_user_id', ['user_id'], unique=False)

    # A store's settings row has the store's id; the one row there was is the default store's.
    op.execute(sa.text("DELETE FROM store_settings WHERE id <> :id").bindparams(id=default_id))
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_store_settings_id_store', 'store', ['id'], ['id'],
                                    ondelete='CASCADE')


def downgrade():
    # Only the default store's rows can go back to a single shop.
    bind = op.get_bind()
    default_id = bind.execute(sa.text("SELECT id FROM store WHERE is_default")).scalar()
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.drop_constraint('fk_store_settings_id_store', type_='foreignkey')
    op.execute(sa.text("DELETE FROM store_settings WHERE id <> :id").bindparams(id=default_id))
    with op.batch_alter_table('cart', schema=None) as batch_op:
        batch_op.drop_index('ix_cart_user_id')
    for table, unique in reversed(list(OWNED.items())):
        if table != 'audit_entry':
            op.execute(sa.text(f"DELETE FROM {table} WHERE store_id <> :id")
                       .bindparams(id=default_id))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_store_id_store', type_='foreignkey')
            batch_op.drop_index(f'ix_{table}_store_id')
            if unique is not None:
                old, new, columns = unique
                batch_op.drop_constraint(new, type_='unique')
                batch_op.create_unique_constraint(old, [columns[1]])
            batch_op.drop_column('store_id')
    with op.batch_alter_table('store_domain', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_domain_store_id'))
    op.drop_table('store_domain')
    op.drop_table('store')
