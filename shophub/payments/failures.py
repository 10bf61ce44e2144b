"""Webhook deliveries that were refused or could not be applied, noted for the payment-health page.

A row says what kind of failure it was, the event's id and type when there is one, a short
detail written by ShopHub (never the payload, and never an exception's message, which may
quote an order's email or address) and the client address. Each insert deletes the rows
older than RETENTION_DAYS.
"""

import logging
from datetime import datetime, timedelta

from flask import has_request_context, request
from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models import WebhookFailure
from shophub.models.webhooks import FAILURE_CAUSES
from shophub.payments.base import WebhookEvent
from shophub.platform import outages
from shophub.web.errors import DATABASE

log = logging.getLogger(__name__)

SIGNATURE, UNKNOWN_ORDER, MALFORMED, HANDLER_ERROR = FAILURE_CAUSES
RETENTION_DAYS = 30
# Refused deliveries come from anyone who can reach the URL, so they are written sparingly: at
# most one row per client address a minute, and at most REFUSED_PER_HOUR rows an hour in all
# (both read in one indexed count; two requests at the same instant may both pass). Whatever a
# flood sends, the table holds at most about 43,000 such rows over 30 days, and a refusal costs
# one read; the page's count of refusals is a floor, while /metrics counts every one.
REFUSED_PER_HOUR = 60
REFUSED_PER_ADDRESS_SECONDS = 60
MAX_DETAIL = 200
RETRY_DATABASE_SECONDS = 30


def _client_address() -> str | None:
    if not has_request_context() or not request.remote_addr:
        return None
    return request.remote_addr[:64]


def _add(provider: str, cause: str, detail: str, event: WebhookEvent | None,
         now: datetime) -> None:
    """Add a row to the current transaction and delete the rows past their retention."""
    db.session.execute(delete(WebhookFailure).where(
        WebhookFailure.created_at < now - timedelta(days=RETENTION_DAYS)))
    db.session.add(WebhookFailure(
        provider=provider, cause=cause, detail=detail[:MAX_DETAIL],
        event_id=event.id[:120] if event else None,
        event_type=event.type[:80] if event else None,
        client_address=_client_address(), created_at=now))


def record_refused(provider: str, detail: str) -> bool:
    """Note a delivery refused with a 400, within the cap; returns whether a row was written.

    It never raises: a database that fails here must not change the answer to the sender, and
    one that failed moments ago is not tried, so a flood does not wait on connections.
    """
    if outages.failed_within(DATABASE, RETRY_DATABASE_SECONDS):
        return False
    now = utcnow()
    address = _client_address()
    same_address = (WebhookFailure.client_address.is_(None) if address is None
                    else WebhookFailure.client_address == address)
    recent_from_address = and_(
        same_address,
        WebhookFailure.created_at >= now - timedelta(seconds=REFUSED_PER_ADDRESS_SECONDS))
    try:
        in_hour, from_address = db.session.execute(
            select(func.count(WebhookFailure.id), func.count(case((recent_from_address, 1))))
            .where(WebhookFailure.cause == SIGNATURE, WebhookFailure.provider == provider,
                   WebhookFailure.created_at >= now - timedelta(hours=1))
        ).one()
        if in_hour >= REFUSED_PER_HOUR or from_address:
            db.session.rollback()
            return False
        _add(provider, SIGNATURE, detail, None, now)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        outages.report_failure(DATABASE, error)
        return False
    return True


def note_unknown_order(provider: str, event: WebhookEvent, detail: str) -> None:
    """Add a note of a signed event for a payment no order has, to the event's transaction.

    The caller commits it together with the event's id, so a repeated delivery (a duplicate)
    adds no second note.
    """
    _add(provider, UNKNOWN_ORDER, detail, event, utcnow())


def record_malformed(provider: str, event: WebhookEvent, problem: str) -> None:
    """Note a signed event whose object does not parse, once per event id in an hour.

    It commits, and never raises: such an event is acknowledged whatever happens here.
    """
    if outages.failed_within(DATABASE, RETRY_DATABASE_SECONDS):
        return
    now = utcnow()
    try:
        seen = db.session.scalar(
            select(WebhookFailure.id).where(WebhookFailure.cause == MALFORMED,
                                            WebhookFailure.event_id == event.id[:120],
                                            WebhookFailure.created_at >= now - timedelta(hours=1))
            .limit(1))
        if seen is None:  # else the same signed bytes again (a replay within the tolerance)
            _add(provider, MALFORMED, problem, event, now)
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        outages.report_failure(DATABASE, error)


def _database_away(error: BaseException) -> bool:
    """Whether the error says no connection could be made or kept: nothing can be written then.

    SQLAlchemy wraps a failure to connect with no statement; a dropped connection is
    invalidated.
    """
    if not isinstance(error, DBAPIError):
        return False
    return error.statement is None or error.connection_invalidated or outages.is_away(DATABASE)


def record_handler_error(provider: str, event: WebhookEvent, error: BaseException) -> None:
    """Note that applying an event raised (the delivery is answered 5xx and retried).

    The failed transaction is rolled back first. Only the exception's class is kept. When
    the database itself is away nothing is written: the 503 and its one log warning are the
    trace. It never raises, so the caller re-raises the original error.
    """
    db.session.rollback()
    if _database_away(error):
        return
    try:
        _add(provider, HANDLER_ERROR, type(error).__name__, event, utcnow())
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("Event %s: could not note the handler error", event.id, exc_info=True)
