"""staff per store: a role is a membership of one store; invites belong to a store

Every staff member and admin of the single shop becomes one of the default store; the
account's own role column goes. Platform owners (who create stores) get a flag.

Revision ID: 0011_store_staff
Revises: 0010_stores
Create Date: 2026-12-01 14:22:28.982555

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_store_staff'
down_revision = '0010_stores'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('store_membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('staff', 'admin')", name=op.f('ck_store_membership_role_known')),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_store_membership_store_id_store'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_store_membership_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_membership')),
    sa.UniqueConstraint('store_id', 'user_id', name='uq_store_membership_store_user')
    )
    with op.batch_alter_table('store_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_membership_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_store_membership_user_id'), ['user_id'], unique=False)

    default_id = op.get_bind().execute(sa.text("SELECT id FROM store WHERE is_default")).scalar()
    op.execute(sa.text(
        "INSERT INTO store_membership (store_id, user_id, role, created_at) "
        "SELECT :store, id, role, CURRENT_TIMESTAMP FROM user_account "
        "WHERE role IN ('staff', 'admin')").bindparams(store=default_id))

    with op.batch_alter_table('staff_invite', schema=None) as batch_op:
        batch_op.add_column(sa.Column('store_id', sa.Integer(), nullable=False,
                                      server_default=sa.text(str(default_id))))
    with op.batch_alter_table('staff_invite', schema=None) as batch_op:
        batch_op.alter_column('store_id', server_default=None)
        batch_op.create_index(batch_op.f('ix_staff_invite_store_id'), ['store_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_staff_invite_store_id_store'), 'store', ['store_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_platform_owner', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('signed_up_store_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_account_signed_up_store_id'), ['signed_up_store_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_user_account_signed_up_store_id_store'), 'store', ['signed_up_store_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_user_account_role_known'), type_='check')
        batch_op.drop_column('role')
    # Every account so far was made in the one shop there was.
    op.execute(sa.text("UPDATE user_account SET signed_up_store_id = :store")
               .bindparams(store=default_id))


def downgrade():
    # A user's role comes back from their membership of the default store.
    default_id = op.get_bind().execute(sa.text("SELECT id FROM store WHERE is_default")).scalar()
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=False,
                                      server_default='customer'))
        batch_op.drop_column('is_platform_owner')
        batch_op.drop_constraint(batch_op.f('fk_user_account_signed_up_store_id_store'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_user_account_signed_up_store_id'))
        batch_op.drop_column('signed_up_store_id')
    op.execute(sa.text(
        "UPDATE user_account SET role = (SELECT role FROM store_membership m "
        "WHERE m.user_id = user_account.id AND m.store_id = :store) "
        "WHERE id IN (SELECT user_id FROM store_membership WHERE store_id = :store)")
        .bindparams(store=default_id))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('role', server_default=None)
        batch_op.create_check_constraint('role_known', "role IN ('customer', 'staff', 'admin')")

    op.execute(sa.text("DELETE FROM staff_invite WHERE store_id <> :store")
               .bindparams(store=default_id))
    with op.batch_alter_table('staff_invite', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_invite_store_id_store'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_staff_invite_store_id'))
        batch_op.drop_column('store_id')

    with op.batch_alter_table('store_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_membership_user_id'))
        batch_op.drop_index(batch_op.f('ix_store_membership_store_id'))

    op.drop_table('store_membership')
