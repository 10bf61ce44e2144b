"""Provider events: recorded once by id, then dispatched by type to the order service."""

import logging

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shophub.core.numbers import parse_whole
from shophub.extensions import db
from shophub.models import Payment, ProcessedEvent
from shophub.orders import service as orders
from shophub.payments import failures as webhook_failures
from shophub.payments import flow as payment_flow
from shophub.payments.base import WebhookEvent, intent_from_dict
from shophub.platform import tenancy

log = logging.getLogger(__name__)
SOURCE = "stripe webhook"
PROVIDER = "stripe"

# What the handler did, for the response body and the logs.
DUPLICATE = "duplicate"
IGNORED = "ignored"
HANDLED = "handled"
MALFORMED = "malformed"
UNKNOWN_ORDER = "unknown_order"  # signed and well formed, but no order has its payment


class MalformedEvent(ValueError):
    """A signed event whose object is not shaped as its type promises."""


# A signed, named event whose object does not parse is acknowledged (2xx) as MALFORMED, not
# refused: the provider would only deliver the same bytes again, for days. It is logged in one
# line and changes nothing, and its id is not recorded, so a corrected event under the same id
# would still be handled.
def _id(obj: dict, key: str, *, required: bool = False) -> None:
    value = obj.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or not 0 < len(value) <= 255:
        raise MalformedEvent(f"{key} is not an id")


def _text(obj: dict, key: str) -> None:
    value = obj.get(key)
    if value is not None and not (isinstance(value, str) and len(value) <= 1000):
        raise MalformedEvent(f"{key} is not text")


def _whole(obj: dict, key: str) -> None:
    value = obj.get(key)
    if value is None or (type(value) is int and value >= 0):
        return
    if isinstance(value, str) and parse_whole(value, high=10**15) is not None:
        return  # localstripe writes amounts as strings
    raise MalformedEvent(f"{key} is not a whole number")


def _mapping(obj: dict, key: str) -> dict:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedEvent(f"{key} is not an object")
    return value


def _check_intent(obj: dict) -> None:
    _id(obj, "id", required=True)
    for key in ("amount", "created"):
        _whole(obj, key)
    for key in ("currency", "status", "client_secret"):
        _text(obj, key)
    metadata = _mapping(obj, "metadata")
    if not all(isinstance(value, str) for value in metadata.values()):
        raise MalformedEvent("metadata holds something other than text")
    _text(_mapping(obj, "last_payment_error"), "message")
    charge = obj.get("latest_charge")
    if isinstance(charge, dict):
        _id(charge, "id")
    else:
        _id(obj, "latest_charge")
    _check_list(_mapping(obj, "charges"), lambda item: _id(item, "id"))


def _check_charge(obj: dict) -> None:
    _id(obj, "id", required=True)
    _id(obj, "payment_intent")
    _whole(obj, "amount_refunded")

    def refund(item: dict) -> None:
        _id(item, "id", required=True)
        _whole(item, "amount")
        _text(item, "status")

    _check_list(_mapping(obj, "refunds"), refund)


def _check_dispute(obj: dict) -> None:
    _id(obj, "id", required=True)
    for key in ("charge", "payment_intent"):
        _id(obj, key)
    for key in ("status", "reason"):
        _text(obj, key)


def _check_list(listing: dict, check_item) -> None:
    items = listing.get("data")
    if items is None:
        return
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MalformedEvent("data is not a list of objects")
    for item in items:
        check_item(item)


def _intent_event(event: WebhookEvent) -> str:
    intent = intent_from_dict(event.object)
    order = orders.order_for_intent(intent)
    if order is None:
        log.warning("Event %s: no order for intent %s", event.id, intent.id)
        webhook_failures.note_unknown_order(PROVIDER, event, f"No order for intent {intent.id}")
        return UNKNOWN_ORDER
    payment_flow.apply_intent(order, intent, SOURCE)
    return HANDLED


def _intent_of_charge(charge_id: str | None, intent_id: str | None) -> str | None:
    if intent_id:
        return intent_id
    if not charge_id:
        return None
    payment = db.session.query(Payment).filter_by(charge_id=charge_id).first()
    return payment.intent_id if payment else None


def _no_order_for_charge(event: WebhookEvent, charge_id: str | None) -> str:
    log.warning("Event %s: no order for charge %s", event.id, charge_id)
    webhook_failures.note_unknown_order(PROVIDER, event, f"No order for charge {charge_id}")
    return UNKNOWN_ORDER


def _charge_refunded(event: WebhookEvent) -> str:
    charge = event.object
    intent_id = _intent_of_charge(charge.get("id"), charge.get("payment_intent"))
    if intent_id is None or orders.find_by_intent(intent_id) is None:
        return _no_order_for_charge(event, charge.get("id"))
    refunds = [(refund["id"], int(refund.get("amount") or 0))
               for refund in (charge.get("refunds") or {}).get("data") or []
               if refund.get("status") in (None, "succeeded", "pending")]
    orders.record_provider_refunds(intent_id, refunds, int(charge.get("amount_refunded") or 0),
                                   SOURCE)
    return HANDLED


def _dispute(event: WebhookEvent) -> str:
    dispute = event.object
    intent_id = _intent_of_charge(dispute.get("charge"), dispute.get("payment_intent"))
    if intent_id is None or orders.find_by_intent(intent_id) is None:
        return _no_order_for_charge(event, dispute.get("charge"))
    status = str(dispute.get("status") or "needs_response")
    orders.record_dispute(intent_id, status, str(dispute.get("reason") or ""), SOURCE)
    return HANDLED


# Event type: (what its object must look like, what applying it does).
HANDLERS = {
    "payment_intent.succeeded": (_check_intent, _intent_event),
    "payment_intent.processing": (_check_intent, _intent_event),
    "payment_intent.payment_failed": (_check_intent, _intent_event),
    "payment_intent.canceled": (_check_intent, _intent_event),
    "charge.refunded": (_check_charge, _charge_refunded),
    "charge.dispute.created": (_check_dispute, _dispute),
    "charge.dispute.closed": (_check_dispute, _dispute),
}


def handle(event: WebhookEvent) -> str:
    """Record the event id and apply the event; a repeated id changes nothing.

    The id is written in the same transaction as the event's effects, so an event whose
    handling fails is not marked seen and the provider's retry is handled afresh.
    """
    check, handler = HANDLERS.get(event.type, (None, None))
    if check is not None:
        try:
            check(event.object)
        except MalformedEvent as problem:
            log.warning("Event %s (%s) is malformed: %s; acknowledged, nothing changed",
                        event.id, event.type, problem)
            webhook_failures.record_malformed(PROVIDER, event, str(problem))
            return MALFORMED
    try:
        if not _record(event):
            db.session.rollback()
            return DUPLICATE
        outcome = handler(event) if handler is not None else IGNORED
        if not db.session().in_transaction():
            # The handler committed (the id with it) or found nothing to do and rolled back
            # (the id with it): record it again; after a commit the conflict makes it a no-op.
            _record(event)
        db.session.commit()
    except Exception as error:  # the answer is a 5xx and the provider retries; note it first
        webhook_failures.record_handler_error(PROVIDER, event, error)
        raise
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
        .values(event_id=event.id, event_type=event.type[:80], received_at=orders.now(),
                store_id=tenancy.current_store_id())
        .on_conflict_do_nothing(index_elements=["store_id", "event_id"])
        .returning(ProcessedEvent.id)
    )
    return db.session.execute(statement).first() is not None
