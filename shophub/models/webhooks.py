"""Webhook deliveries that were refused or could not be applied, kept for 30 days."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models.stores import StoreOwned

# signature: refused with a 400 (bad or missing signature, or not an event at all);
# unknown_order: a signed event about a payment no order of this shop has;
# malformed: a signed event whose object does not parse (acknowledged, nothing changed);
# handler_error: applying the event raised, so the answer was a 5xx and the provider retries.
FAILURE_CAUSES = ("signature", "unknown_order", "malformed", "handler_error")


class WebhookFailure(StoreOwned, db.Model):
    """One refused or failed webhook delivery: no payload and no personal data, only its kind."""

    __tablename__ = "webhook_failure"
    __table_args__ = (
        CheckConstraint(f"cause IN ({', '.join(repr(cause) for cause in FAILURE_CAUSES)})",
                        name="cause_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    cause: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str | None] = mapped_column(String(120))
    event_type: Mapped[str | None] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(String(200), default="")
    client_address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
