"""holding limits and sign-up links

The store settings' units of one variant per cart and unpaid orders per client, the hashed
address an order was placed from, and the table of sign-up links.

Revision ID: 0012_holding_limits
Revises: 0011_store_staff
Create Date: 2026-12-04 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_holding_limits'
down_revision = '0011_store_staff'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signup_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signup_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_signup_token_token_hash'))
    )
    with op.batch_alter_table('signup_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signup_token_email'), ['email'], unique=False)

    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_units_per_variant', sa.Integer(), nullable=False,
                                      server_default='10'))
        batch_op.add_column(sa.Column('max_pending_orders', sa.Integer(), nullable=False,
                                      server_default='3'))
        batch_op.create_check_constraint(op.f('ck_store_settings_max_units_positive'),
                                         'max_units_per_variant > 0')
        batch_op.create_check_constraint(op.f('ck_store_settings_max_pending_positive'),
                                         'max_pending_orders > 0')

    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('placed_from', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_column('placed_from')

    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_store_settings_max_pending_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_store_settings_max_units_positive'), type_='check')
        batch_op.drop_column('max_pending_orders')
        batch_op.drop_column('max_units_per_variant')

    with op.batch_alter_table('signup_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signup_token_email'))

    op.drop_table('signup_token')
