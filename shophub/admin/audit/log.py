"""Reading the audit log: its filters from the query string, and pages of entries, newest first.

Entries are only ever read here; they are written by `shophub.platform.audit` in the
transaction of the change they describe.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from shophub.core.paging import Page, page_at
from shophub.extensions import db
from shophub.models import AuditEntry

PAGE_SIZE = 50
FILTERS = ("action", "actor", "entity")
MAX_FILTER_LENGTH = 120


def parse_filters(args: Mapping[str, str]) -> dict[str, str]:
    """The log's filters (action, actor, entity) from the query string, trimmed and cut short."""
    return {key: (args.get(key) or "").strip()[:MAX_FILTER_LENGTH] for key in FILTERS}


@dataclass(frozen=True, kw_only=True)
class AuditPage(Page):
    """One page of the log, with the actions and record types there are to filter by."""

    entries: list[AuditEntry]
    actions: list[str]
    entities: list[str]


def audit_page(filters: Mapping[str, str], page: int) -> AuditPage:
    """A page of entries matching `filters`, newest first; past the end is the last page."""
    # Four statements: the count, the page, and the distinct actions and record types.
    query = select(AuditEntry)
    if filters["action"]:
        query = query.where(AuditEntry.action == filters["action"])
    if filters["actor"]:
        query = query.where(AuditEntry.actor_label.ilike(f"%{filters['actor']}%"))
    if filters["entity"]:
        query = query.where(AuditEntry.entity_type == filters["entity"])
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    window = page_at(page, total, PAGE_SIZE)
    entries = db.session.scalars(
        query.order_by(AuditEntry.id.desc()).offset(window.offset).limit(window.limit)
    ).all()
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    entities = db.session.scalars(
        select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type))
    return AuditPage.of(window, entries=list(entries), actions=list(actions),
                        entities=list(entities))
