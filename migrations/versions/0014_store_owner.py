"""owner role for store staff

Each store's earliest admin (of an active account, by when they joined its staff) becomes its
owner, so an installation has an owner without a new step. Invites may be for owners too.

Revision ID: 0014_store_owner
Revises: 0013_analyze_after_stores
Create Date: 2026-12-05 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_store_owner'
down_revision = '0013_analyze_after_stores'
branch_labels = None
depends_on = None

CHECKS = (('store_membership', 'role_known'), ('staff_invite', 'role_staff'))
WITH_OWNER = "role IN ('staff', 'admin', 'owner')"
WITHOUT_OWNER = "role IN ('staff', 'admin')"


def _replace_checks(condition: str) -> None:
    for table, name in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_{name}'), type_='check')
            batch_op.create_check_constraint(name, condition)


def upgrade():
    _replace_checks(WITH_OWNER)
    rows = op.get_bind().execute(sa.text(
        "SELECT m.store_id, m.id, m.created_at, u.active FROM store_membership m "
        "JOIN user_account u ON u.id = m.user_id WHERE m.role = 'admin'")).all()
    earliest = {}
    # Sorted here rather than in SQL: booleans and timestamps order alike on every backend.
    for store_id, membership_id, _, _ in sorted(
            rows, key=lambda row: (row[0], not row[3], row[2], row[1])):
        earliest.setdefault(store_id, membership_id)
    if earliest:
        op.execute(sa.text("UPDATE store_membership SET role = 'owner' WHERE id IN :ids")
                   .bindparams(sa.bindparam('ids', list(earliest.values()), expanding=True)))


def downgrade():
    op.execute(sa.text("UPDATE store_membership SET role = 'admin' WHERE role = 'owner'"))
    op.execute(sa.text("UPDATE staff_invite SET role = 'admin' WHERE role = 'owner'"))
    _replace_checks(WITHOUT_OWNER)
