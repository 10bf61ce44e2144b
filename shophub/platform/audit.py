"""The append-only audit trail: who changed what, when, from where."""

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event

from shophub.extensions import db
from shophub.models import AuditEntry


def _request_actor() -> tuple[int | None, str, str | None]:
    if not has_request_context():
        return None, "system", None
    ip = request.remote_addr
    if current_user and current_user.is_authenticated:
        return current_user.id, current_user.email, ip
    return None, "visitor", ip


def record(action: str, entity_type: str, entity_id: int | None, summary: str = "", *,
           before: dict | None = None, after: dict | None = None,
           actor_label: str | None = None) -> AuditEntry:
    """Add an audit entry to the current transaction; `actor_label` names a non-human actor."""
    actor_id, label, ip = _request_actor()
    if actor_label:
        actor_id, label = None, actor_label
    entry = AuditEntry(actor_id=actor_id, actor_label=label, action=action,
                       entity_type=entity_type, entity_id=entity_id, summary=summary,
                       before=before, after=after, ip=ip)
    db.session.add(entry)
    return entry


def record_save(entity_type: str, entity_id: int, label: str, before: dict | None,
                after: dict) -> bool:
    """Audit a save: `<type>.created` when `before` is None, `<type>.updated` when something
    changed, nothing for a save that changed nothing; returns whether an entry was added."""
    if before is None:
        record(f"{entity_type}.created", entity_type, entity_id, f"{label} created", after=after)
        return True
    if before != after:
        record(f"{entity_type}.updated", entity_type, entity_id, f"{label} edited",
               before=before, after=after)
        return True
    return False


class AuditEntryImmutable(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(_mapper, _connection, entry: AuditEntry) -> None:
    # PostgreSQL refuses the same with a trigger (migration 0005), whatever the client.
    raise AuditEntryImmutable(f"audit entry {entry.id} cannot be changed or deleted")
