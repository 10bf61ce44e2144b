"""GET /admin/audit: the append-only audit log, filtered and paged."""

from flask import request

from shophub.admin.audit import log as audit_log
from shophub.admin.blueprint import bp
from shophub.web.htmx import render_page_or_block
from shophub.web.pagination import requested_page


@bp.get("/audit")
def audit():
    """Audit entries, newest first; filter by action, actor and what they changed."""
    filters = audit_log.parse_filters(request.args)
    result = audit_log.audit_page(filters, requested_page())
    return render_page_or_block(
        "admin/audit.html", "audit_table", result=result, entries=result.entries,
        filters=filters, total=result.total, actions=result.actions, entities=result.entities,
    )
