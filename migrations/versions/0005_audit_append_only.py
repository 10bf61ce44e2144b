"""audit entries are append-only on PostgreSQL

Revision ID: 0005_audit_append_only
Revises: 0004_admin
Create Date: 2026-11-29 00:40:00

"""
from alembic import op


revision = '0005_audit_append_only'
down_revision = '0004_admin'
branch_labels = None
depends_on = None

# The one change allowed is the foreign key's own ON DELETE SET NULL of the actor.
FUNCTION = """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute("CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
               "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER audit_entry_append_only ON audit_entry")
    op.execute("DROP FUNCTION audit_entry_append_only()")
