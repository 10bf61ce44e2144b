"""Jobs committed together with the data they depend on, kept until they have succeeded."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from shophub.core.time import utcnow
from shophub.extensions import db


class PendingJob(db.Model):
    """A job written in the transaction that queued it; deleted once it has succeeded."""

    __tablename__ = "pending_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    function: Mapped[str] = mapped_column(String(200))
    arguments: Mapped[dict] = mapped_column(JSON)  # {"args": [...], "kwargs": {...}}
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    # How often dispatch handed the job over again; past a limit it is left to a person.
    dispatches: Mapped[int] = mapped_column(default=0, server_default="0")
