"""Sending: confirmation mails of sign-ups, and campaigns in batches through the mail queue.

Every campaign mail is sent once. A batch claims its subscribers by inserting their
CampaignDelivery rows (unique per campaign and subscriber) and queues each delivery's mail job
(written to pending_job) in the same transaction. A batch killed before its commit claimed
and queued nothing, so running it again sends the same batch; one killed after its commit
left its mail jobs in pending_job, which dispatch runs again, and each mail job sends under
its own key once (sent_mail). Two batches at once cannot both claim a subscriber: they take
the campaign row's lock in turn, and the unique constraint refuses the second claim anyway.
A subscriber who unsubscribes after being claimed is skipped when the mail job runs.
"""

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from shophub.accounts import tokens
from shophub.core.time import as_utc
from shophub.extensions import db
from shophub.models import Campaign, CampaignDelivery, Subscriber
from shophub.newsletter import mails
from shophub.platform import queue, tenancy


def _confirm_token(subscriber_id: int, hour: str) -> str:
    # The same for every run within the hour, so a retried or doubled job mails a link that
    # works; unguessable without SECRET_KEY.
    message = f"newsletter-confirm:{tenancy.current_store_id()}:{subscriber_id}:{hour}"
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), message.encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def process_signup(email: str, source: str) -> bool:
    """Mail a confirmation link unless the address is confirmed already; True when mailed.

    At most one confirmation mail an hour goes to an address, so signing someone up again
    and again cannot flood them.
    """
    subscriber = db.session.scalars(select(Subscriber).where(Subscriber.email == email)).first()
    if subscriber is not None and subscriber.status == "confirmed":
        return False
    if subscriber is None:
        subscriber = Subscriber(email=email, status="pending", source=source)
        db.session.add(subscriber)
        try:
            db.session.flush()
        except IntegrityError:  # signed up twice at once: the other run mails
            db.session.rollback()
            return False
    hour = datetime.now(UTC).strftime("%Y%m%d%H")
    key = f"newsletter-confirm:{subscriber.id}:{hour}"
    if mails.already_sent(key):
        db.session.rollback()
        return False
    hours = current_app.config["NEWSLETTER_CONFIRM_HOURS"]
    token = _confirm_token(subscriber.id, hour)
    # An unsubscribed address keeps its status until it confirms: it asked, it did not agree.
    subscriber.confirm_token_hash = tokens.digest(token)
    subscriber.confirm_expires_at = datetime.now(UTC) + timedelta(hours=hours)
    db.session.commit()
    return mails.send_confirmation(subscriber, token, hours, key)


def send_batch(campaign_id: int, delivery_job: Callable[[int], object], *,
               wait: bool = True) -> bool:
    """Claim and queue the next batch of a sending campaign, and commit; True if more remain.

    A batch goes only when due (NEWSLETTER_BATCH_SECONDS after the last one) unless `wait` is
    False (without Redis every batch is sent in turn); the rule that makes each mail go once
    is in this module's docstring. `delivery_job` is the job that sends one claimed delivery
    (jobs.delivery_job, which calls `deliver`).
    """
    campaign = db.session.scalars(select(Campaign).where(Campaign.id == campaign_id)
                                  .with_for_update()).first()
    now = datetime.now(UTC)
    if campaign is None or campaign.status != "sending":
        db.session.rollback()
        return False
    if wait and campaign.next_batch_at is not None and as_utc(campaign.next_batch_at) > now:
        db.session.rollback()
        return True
    size = max(1, current_app.config["NEWSLETTER_BATCH_SIZE"])
    already = exists().where(CampaignDelivery.campaign_id == campaign.id,
                             CampaignDelivery.subscriber_id == Subscriber.id)
    subscriber_ids = list(db.session.scalars(
        select(Subscriber.id).where(Subscriber.status == "confirmed", ~already)
        .order_by(Subscriber.id).limit(size)))
    deliveries = [CampaignDelivery(campaign_id=campaign.id, subscriber_id=subscriber_id)
                  for subscriber_id in subscriber_ids]
    db.session.add_all(deliveries)
    db.session.flush()
    for delivery in deliveries:
        queue.enqueue_after_commit(delivery_job, delivery.id)
    campaign.sent_count += len(deliveries)
    more = len(deliveries) == size
    if more:
        campaign.next_batch_at = now + timedelta(
            seconds=current_app.config["NEWSLETTER_BATCH_SECONDS"])
    else:
        campaign.status, campaign.finished_at, campaign.next_batch_at = "sent", now, None
    try:
        db.session.commit()
    except IntegrityError:  # another run claimed some of them first: it queued their mails
        db.session.rollback()
        return True
    return more


def deliver(delivery_id: int) -> bool:
    """Send one claimed delivery, unless its subscriber is not confirmed any more."""
    delivery = db.session.scalars(select(CampaignDelivery)
                                  .where(CampaignDelivery.id == delivery_id)).first()
    if delivery is None or delivery.sent_at is not None or delivery.skipped:
        return False
    subscriber = db.session.get(Subscriber, delivery.subscriber_id)
    campaign = db.session.get(Campaign, delivery.campaign_id)
    if subscriber is None or campaign is None or subscriber.status != "confirmed":
        delivery.skipped = True
        db.session.commit()
        return False
    mails.send_campaign_mail(campaign, subscriber)
    db.session.execute(update(CampaignDelivery).where(CampaignDelivery.id == delivery_id)
                       .values(sent_at=datetime.now(UTC)))
    db.session.commit()
    return True


def due_campaigns() -> list[tuple[int, int]]:
    """(store id, campaign id) of every store's campaign whose next batch is due."""
    rows = db.session.execute(tenancy.across_stores(
        select(Campaign.store_id, Campaign.id)
        .where(Campaign.status == "sending", Campaign.next_batch_at <= datetime.now(UTC))
        .order_by(Campaign.id)))
    return [(store_id, campaign_id) for store_id, campaign_id in rows]
