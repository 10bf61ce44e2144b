"""webhook failures: refused and failed deliveries, for the payment-health page

Revision ID: 0008_webhook_failure
Revises: 0007_pending_job_dispatches
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_webhook_failure'
down_revision = '0007_pending_job_dispatches'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('webhook_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('cause', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.String(length=120), nullable=True),
    sa.Column('event_type', sa.String(length=80), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("cause IN ('signature', 'unknown_order', 'malformed', 'handler_error')",
                       name=op.f('ck_webhook_failure_cause_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_failure'))
    )
    with op.batch_alter_table('webhook_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_failure_created_at'), ['created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('webhook_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_failure_created_at'))

    op.drop_table('webhook_failure')
