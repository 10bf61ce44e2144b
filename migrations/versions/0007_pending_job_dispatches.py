"""pending jobs stay until they succeed: count how often dispatch handed one over

Revision ID: 0007_pending_job_dispatches
Revises: 0006_pending_job
Create Date: 2026-12-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_pending_job_dispatches'
down_revision = '0006_pending_job'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pending_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatches', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('pending_job', schema=None) as batch_op:
        batch_op.drop_column('dispatches')
