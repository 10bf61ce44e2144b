"""Password reset by an emailed, single-use, expiring token (only its hash is stored).

Asking for a link queues one job whatever the email, and the request does not wait for it:
the job (accounts.mails) finds the account, makes the token and sends the mail, so the answer
and its timing are the same for an email with an account and one without.
"""

from datetime import UTC, datetime

from sqlalchemy import select, update

from shophub.accounts import tokens, users
from shophub.accounts.jobs import reset_link_job
from shophub.extensions import db
from shophub.models import PasswordResetToken, User
from shophub.platform.queue import enqueue_after_commit


class ResetTokenError(ValueError):
    """The reset link cannot be used; the message says why."""


def request_reset(email: str) -> None:
    """Queue the reset mail for this address; the same work whether or not it has an account."""
    try:
        email = users.normalise_email(email)
    except users.AccountError:
        return  # a malformed address has no account; the answer is the same
    enqueue_after_commit(reset_link_job, email)
    db.session.commit()


def usable_token(token: str) -> PasswordResetToken:
    """The stored token for this link, or ResetTokenError when unknown, used or expired."""
    reset = None
    if tokens.plausible(token):
        reset = db.session.scalar(select(PasswordResetToken).where(
            PasswordResetToken.token_hash == tokens.digest(token)))
    if reset is None or not reset.user.active:
        raise ResetTokenError("This reset link is not valid. Ask for a new one.")
    problem = tokens.problem(reset.used_at, reset.expires_at, "reset link")
    if problem:
        raise ResetTokenError(problem)
    return reset


def complete_reset(token: str, new_password: str) -> User:
    """Set the new password, spend this token and every other open one of the user."""
    reset = usable_token(token)
    user = reset.user
    users.set_password(user, new_password)
    if not tokens.spend(PasswordResetToken, reset.id):
        db.session.rollback()
        raise ResetTokenError("This reset link has already been used. Ask for a new one.")
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=datetime.now(UTC))
    )
    db.session.commit()
    return user
