"""The newsletter: a store's subscribers, its campaigns, and who was sent which campaign."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models.stores import StoreOwned

SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed")
SUBSCRIBER_SOURCES = ("footer", "checkout", "unsubscribe")
CAMPAIGN_STATUSES = ("draft", "sending", "sent")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Subscriber(StoreOwned, db.Model):
    """An address on a store's list; only a confirmed one is ever sent a campaign.

    An address that unsubscribed without ever subscribing (from a recovery mail) is a row
    too, with status unsubscribed and source "unsubscribe", so every marketing mail asks
    one place.
    """

    __tablename__ = "newsletter_subscriber"
    lone_store_index = False
    __table_args__ = (
        UniqueConstraint("store_id", "email", name="uq_newsletter_subscriber_store_email"),
        Index("ix_newsletter_subscriber_store_status", "store_id", "status"),
        CheckConstraint(_one_of("status", SUBSCRIBER_STATUSES), name="status_known"),
        CheckConstraint(_one_of("source", SUBSCRIBER_SOURCES), name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # normalised (lower case)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    source: Mapped[str] = mapped_column(String(16), default="footer")
    # The confirmation link's token is mailed; only its hash is kept, until it is used.
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirm_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Campaign(StoreOwned, db.Model):
    """A newsletter written in Markdown; it is sent once, to the confirmed subscribers."""

    __tablename__ = "newsletter_campaign"
    __table_args__ = (
        CheckConstraint(_one_of("status", CAMPAIGN_STATUSES), name="status_known"),
        CheckConstraint("sent_count >= 0", name="sent_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # While sending: when the next batch may go (NEWSLETTER_BATCH_SECONDS after the last).
    next_batch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Deliveries claimed so far (each one queued one mail).
    sent_count: Mapped[int] = mapped_column(default=0)


class CampaignDelivery(StoreOwned, db.Model):
    """One subscriber's copy of one campaign: claimed in the transaction that queues its mail,
    and unique, so that no run of the campaign job queues a second one."""

    __tablename__ = "newsletter_delivery"
    __table_args__ = (
        UniqueConstraint("campaign_id", "subscriber_id",
                         name="uq_newsletter_delivery_campaign_subscriber"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_campaign.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_subscriber.id", ondelete="CASCADE"), index=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set by the mail job: when the mail went out, or why it did not (unsubscribed meanwhile).
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    skipped: Mapped[bool] = mapped_column(default=False)
