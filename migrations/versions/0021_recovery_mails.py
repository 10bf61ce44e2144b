"""recovery mails and back-in-stock requests

Revision ID: 0021_recovery_mails
Revises: 0020_newsletter
Create Date: 2026-12-06 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_recovery_mails'
down_revision = '0020_newsletter'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_sent_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('restore_sent_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('cart_restored_at', sa.DateTime(timezone=True),
                                      nullable=True))

    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        for name in ('recovery_reminders', 'recovery_restore_cart', 'recovery_back_in_stock'):
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False,
                                          server_default='1'))

    op.create_table('back_in_stock_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'],
                            name=op.f('fk_back_in_stock_request_store_id_store'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['variant.id'],
                            name=op.f('fk_back_in_stock_request_variant_id_variant'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_back_in_stock_request')),
    sa.UniqueConstraint('store_id', 'variant_id', 'email',
                        name='uq_back_in_stock_request_store_variant_email')
    )
    with op.batch_alter_table('back_in_stock_request', schema=None) as batch_op:
        batch_op.create_index('ix_back_in_stock_request_waiting', ['notified_at', 'variant_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_back_in_stock_request_variant_id'), ['variant_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('back_in_stock_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_back_in_stock_request_variant_id'))
        batch_op.drop_index('ix_back_in_stock_request_waiting')
    op.drop_table('back_in_stock_request')

    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        for name in ('recovery_back_in_stock', 'recovery_restore_cart', 'recovery_reminders'):
            batch_op.drop_column(name)

    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_column('cart_restored_at')
        batch_op.drop_column('restore_sent_at')
        batch_op.drop_column('reminder_sent_at')
