"""Provider events: recorded once by id, then dispatched by type to the order service."""

import logging

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shophub.extensions import db
from shophub.models import Payment, ProcessedEvent
from shophub.orders import service as orders
from shophub.payments import flow as payment_flow
from shophub.payments.base import WebhookEvent, intent_from_dict

log = logging.getLogger(__name__)
SOURCE = "stripe webhook"

# What the handler did, for the response body and the logs.
DUPLICATE = "duplicate"
IGNORED = "ignored"
HANDLED = "handled"


def _intent_event(event: WebhookEvent) -> str:
    intent = intent_from_dict(event.object)
    order = orders.order_for_intent(intent)
    if order is None:
        log.warning("Event %s: no order for intent %s", event.id, intent.id)
        return IGNORED
    payment_flow.apply_intent(order, intent, SOURCE)
    return HANDLED


def _intent_of_charge(charge_id: str | None, intent_id: str | None) -> str | None:
    if intent_id:
        return intent_id
    if not charge_id:
        return None
    payment = db.session.query(Payment).filter_by(charge_id=charge_id).first()
    return payment.intent_id if payment else None


def _charge_refunded(event: WebhookEvent) -> str:
    charge = event.object
    intent_id = _intent_of_charge(charge.get("id"), charge.get("payment_intent"))
    if intent_id is None:
        return IGNORED
    refunds = [(refund["id"], int(refund.get("amount") or 0))
               for refund in (charge.get("refunds") or {}).get("data") or []
               if refund.get("status") in (None, "succeeded", "pending")]
    orders.record_provider_refunds(intent_id, refunds, int(charge.get("amount_refunded") or 0),
                                   SOURCE)
    return HANDLED


def _dispute(event: WebhookEvent) -> str:
    dispute = event.object
    intent_id = _intent_of_charge(dispute.get("charge"), dispute.get("payment_intent"))
    if intent_id is None:
        return IGNORED
    status = str(dispute.get("status") or "needs_response")
    orders.record_dispute(intent_id, status, str(dispute.get("reason") or ""), SOURCE)
    return HANDLED


HANDLERS = {
    "payment_intent.succeeded": _intent_event,
    "payment_intent.processing": _intent_event,
    "payment_intent.payment_failed": _intent_event,
    "payment_intent.canceled": _intent_event,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute,
    "charge.dispute.closed": _dispute,
}


def handle(event: WebhookEvent) -> str:
    """Record the event id and apply the event; a repeated id changes nothing.

    The id is written in the same transaction as the event's effects, so an event whose
    handling fails is not marked seen and the provider's retry is handled afresh.
    """
    if not _record(event):
        db.session.rollback()
        return DUPLICATE
    handler = HANDLERS.get(event.type)
    outcome = handler(event) if handler is not None else IGNORED
    if not db.session().in_transaction():
        # The handler committed (the id with it) or found nothing to do and rolled back (the
        # id with it): record it again; after a commit the conflict makes this a no-op.
        _record(event)
    db.session.commit()
    return outcome


def _record(event: WebhookEvent) -> bool:
    """Insert the event id unless it is there; False when it was (a repeated delivery).

    ON CONFLICT DO NOTHING: a parallel delivery of the same id waits for the first one's
    transaction and then inserts nothing, with no error to recover from.
    """
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" \
        else sqlite_insert
    statement = (
        insert(ProcessedEvent)
        .values(event_id=event.id, event_type=event.type[:80], received_at=orders.now())
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(ProcessedEvent.id)
    )
    return db.session.execute(statement).first() is not None
