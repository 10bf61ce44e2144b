"""Password reset by an emailed, single-use, expiring token (only its hash is stored)."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from shophub.accounts import users
from shophub.core.time import as_utc
from shophub.extensions import db
from shophub.models import PasswordResetToken, User
from shophub.platform import jobs


class ResetTokenError(ValueError):
    """The reset link cannot be used; the message says why."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str, link_for, valid_minutes: int) -> None:
    """Mail a reset link when an active account has this email; otherwise do nothing.

    `link_for(token)` builds the absolute URL of the reset page. The caller answers the
    same way in both cases, so the form does not reveal which emails have accounts.
    """
    try:
        user = users.find_by_email(users.normalise_email(email))
    except users.AccountError:
        return
    if user is None or not user.active:
        return
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    reset = PasswordResetToken(
        user_id=user.id, token_hash=_digest(token), created_at=now,
        expires_at=now + timedelta(minutes=valid_minutes),
    )
    db.session.add(reset)
    db.session.flush()
    jobs.queue_mail(
        f"password-reset:{reset.id}", user.email, "Reset your password", "password_reset",
        name=user.name, reset_url=link_for(token), minutes=valid_minutes, carries_secret=True,
    )
    db.session.commit()


def usable_token(token: str) -> PasswordResetToken:
    """The stored token for this link, or ResetTokenError when unknown, used or expired."""
    reset = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token or ""))
    )
    if reset is None or not reset.user.active:
        raise ResetTokenError("This reset link is not valid. Ask for a new one.")
    if reset.used_at is not None:
        raise ResetTokenError("This reset link has already been used. Ask for a new one.")
    if as_utc(reset.expires_at) <= datetime.now(UTC):
        raise ResetTokenError("This reset link has expired. Ask for a new one.")
    return reset


def complete_reset(token: str, new_password: str) -> User:
    """Set the new password, spend this token and every other open one of the user."""
    reset = usable_token(token)
    user = reset.user
    users.set_password(user, new_password)
    now = datetime.now(UTC)
    # Conditional on used_at IS NULL, so two submissions of one link cannot both succeed.
    spent = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == reset.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        db.session.rollback()
        raise ResetTokenError("This reset link has already been used. Ask for a new one.")
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    db.session.commit()
    return user
