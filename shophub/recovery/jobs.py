"""Recovery jobs: the periodic scan that claims the mails due, and the mail jobs it queues.

Which mail is due, and its once-only claim, are shophub.recovery.rules'; the scan reads the
candidates of every store, then claims each in its own store and queues its mail job in the
claim's transaction (pending_job), so a mail is never lost and never claimed twice.
"""

from datetime import datetime

from sqlalchemy import delete, select

from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models import BackInStockRequest, Order
from shophub.newsletter.unsubscribe import is_unsubscribed
from shophub.platform import queue, tenancy
from shophub.platform.queue import MAINTENANCE_QUEUE, job
from shophub.recovery import mails, rules


@job
def order_recovery_mail_job(order_id: int, kind: str) -> bool:
    """Send an order's reminder or restore mail once, if it is still due."""
    return mails.send_order_recovery_mail(order_id, kind)


@job
def back_in_stock_mail_job(request_id: int) -> bool:
    """Send one back-in-stock mail once, if it is still wanted."""
    return mails.send_back_in_stock_mail(request_id)


@job(queue_name=MAINTENANCE_QUEUE)
def recovery_mails_job() -> int:
    """Periodic: claim and queue the reminders, restore mails and back-in-stock mails due."""
    return queue_due_mails()


def queue_due_mails(now: datetime | None = None) -> int:
    """Claim every recovery mail due now, in every store, and queue it; returns how many."""
    now = now or utcnow()
    queued = 0
    for order_id, store_id in _rows(rules.reminder_candidates(now)):
        queued += _claim_order_mail(order_id, store_id, mails.REMINDER, now)
    for order_id, store_id in _rows(rules.restore_candidates(now)):
        queued += _claim_order_mail(order_id, store_id, mails.RESTORE, now)
    for request_id, store_id in _rows(rules.back_in_stock_candidates()):
        queued += _claim_back_in_stock(request_id, store_id, now)
    return queued


def _rows(statement) -> list[tuple[int, int]]:
    rows = [(row[0], row[1]) for row in db.session.execute(tenancy.across_stores(statement))]
    db.session.rollback()
    return rows


def _claim_order_mail(order_id: int, store_id: int, kind: str, now: datetime) -> bool:
    with tenancy.use_store(store_id):
        email = db.session.scalar(select(Order.email).where(Order.id == order_id))
        if (email is None or not rules.setting_on(mails.SETTINGS[kind])
                or is_unsubscribed(email)):
            db.session.rollback()
            return False
        claim = rules.claim_reminder if kind == mails.REMINDER else rules.claim_restore_mail
        if not claim(order_id, now):
            db.session.rollback()  # another scheduler claimed it, or it is no more due
            return False
        queue.enqueue_after_commit(order_recovery_mail_job, order_id, kind)
        db.session.commit()
        return True


def _claim_back_in_stock(request_id: int, store_id: int, now: datetime) -> bool:
    with tenancy.use_store(store_id):
        if not rules.setting_on(mails.SETTINGS[mails.BACK_IN_STOCK]):
            db.session.rollback()
            return False
        email = db.session.scalar(select(BackInStockRequest.email)
                                  .where(BackInStockRequest.id == request_id))
        if email is not None and is_unsubscribed(email):
            # They asked for no more mail: the request goes, so the scan stops finding it.
            db.session.execute(delete(BackInStockRequest)
                               .where(BackInStockRequest.id == request_id))
            db.session.commit()
            return False
        if email is None or not rules.claim_back_in_stock(request_id, now):
            db.session.rollback()
            return False
        queue.enqueue_after_commit(back_in_stock_mail_job, request_id)
        db.session.commit()
        return True
