"""One-time links: a random token goes out in a mail, only its hash is stored; spent once."""

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import update

from shophub.core.time import as_utc
from shophub.extensions import db

# Longer "tokens" are not ours; they are refused before any hashing or lookup.
MAX_TOKEN_LENGTH = 128


def plausible(token: str | None) -> bool:
    """Whether a link's token is worth looking up (not empty, not absurdly long)."""
    return bool(token) and len(token) <= MAX_TOKEN_LENGTH


def issue() -> tuple[str, str]:
    """A new token for a link and the hash to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def problem(used_at: datetime | None, expires_at: datetime, what: str) -> str | None:
    """Why a stored link cannot be used any more (None when it can); `what` names the link."""
    if used_at is not None:
        return f"This {what} has already been used. Ask for a new one."
    if as_utc(expires_at) <= datetime.now(UTC):
        return f"This {what} has expired. Ask for a new one."
    return None


def spend(model, row_id: int) -> bool:
    """Mark one link used, unless it already was; True when this call spent it (not committed).

    Conditional on used_at IS NULL, so two submissions of one link cannot both succeed.
    """
    spent = db.session.execute(
        update(model).where(model.id == row_id, model.used_at.is_(None))
        .values(used_at=datetime.now(UTC)))
    return spent.rowcount == 1
