"""GET /admin/audit: the append-only audit log, filtered and paged."""

from flask import request
from sqlalchemy import func, select

from shophub.admin.blueprint import bp
from shophub.extensions import db
from shophub.models import AuditEntry
from shophub.web.htmx import render_page_or_block

PAGE_SIZE = 50


def _page_number(raw: str | None) -> int:
    text = (raw or "1").strip()
    return int(text) if text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1


@bp.get("/audit")
def audit():
    """Audit entries, newest first; filter by action, actor and what they changed."""
    filters = {key: (request.args.get(key) or "").strip()[:120]
               for key in ("action", "actor", "entity")}
    query = select(AuditEntry)
    if filters["action"]:
        query = query.where(AuditEntry.action == filters["action"])
    if filters["actor"]:
        query = query.where(AuditEntry.actor_label.ilike(f"%{filters['actor']}%"))
    if filters["entity"]:
        query = query.where(AuditEntry.entity_type == filters["entity"])
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(_page_number(request.args.get("page")), pages)
    entries = db.session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    entities = db.session.scalars(
        select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type))
    return render_page_or_block(
        "admin/audit.html", "audit_table", entries=entries, filters=filters, page=page,
        pages=pages, total=total, actions=list(actions), entities=list(entities),
    )


