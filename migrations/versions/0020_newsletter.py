"""newsletter subscribers, campaigns and their deliveries

Revision ID: 0020_newsletter
Revises: 0019_seo
Create Date: 2026-12-06 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_newsletter'
down_revision = '0019_seo'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('newsletter_subscriber',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('confirm_token_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'unsubscribed')",
                       name=op.f('ck_newsletter_subscriber_status_known')),
    sa.CheckConstraint("source IN ('footer', 'checkout', 'unsubscribe')",
                       name=op.f('ck_newsletter_subscriber_source_known')),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'],
                            name=op.f('fk_newsletter_subscriber_store_id_store'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_subscriber')),
    sa.UniqueConstraint('confirm_token_hash',
                        name=op.f('uq_newsletter_subscriber_confirm_token_hash')),
    sa.UniqueConstraint('store_id', 'email', name='uq_newsletter_subscriber_store_email')
    )
    with op.batch_alter_table('newsletter_subscriber', schema=None) as batch_op:
        batch_op.create_index('ix_newsletter_subscriber_store_status', ['store_id', 'status'],
                              unique=False)

    op.create_table('newsletter_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_batch_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_count', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'sending', 'sent')",
                       name=op.f('ck_newsletter_campaign_status_known')),
    sa.CheckConstraint('sent_count >= 0',
                       name=op.f('ck_newsletter_campaign_sent_count_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                            name=op.f('fk_newsletter_campaign_created_by_id_user_account'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'],
                            name=op.f('fk_newsletter_campaign_store_id_store'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_campaign'))
    )
    with op.batch_alter_table('newsletter_campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_campaign_created_by_id'),
                              ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_newsletter_campaign_store_id'), ['store_id'],
                              unique=False)

    op.create_table('newsletter_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('skipped', sa.Boolean(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['newsletter_campaign.id'],
                            name=op.f('fk_newsletter_delivery_campaign_id_newsletter_campaign'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['newsletter_subscriber.id'],
                            name=op.f('fk_newsletter_delivery_subscriber_id_newsletter_subscriber'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'],
                            name=op.f('fk_newsletter_delivery_store_id_store'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_delivery')),
    sa.UniqueConstraint('campaign_id', 'subscriber_id',
                        name='uq_newsletter_delivery_campaign_subscriber')
    )
    with op.batch_alter_table('newsletter_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_delivery_subscriber_id'),
                              ['subscriber_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_newsletter_delivery_store_id'), ['store_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('newsletter_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsletter_delivery_store_id'))
        batch_op.drop_index(batch_op.f('ix_newsletter_delivery_subscriber_id'))

    op.drop_table('newsletter_delivery')
    with op.batch_alter_table('newsletter_campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsletter_campaign_store_id'))
        batch_op.drop_index(batch_op.f('ix_newsletter_campaign_created_by_id'))

    op.drop_table('newsletter_campaign')
    with op.batch_alter_table('newsletter_subscriber', schema=None) as batch_op:
        batch_op.drop_index('ix_newsletter_subscriber_store_status')

    op.drop_table('newsletter_subscriber')
