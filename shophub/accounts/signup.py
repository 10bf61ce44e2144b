"""Signing up by an emailed link, so that the form never tells whether an email has an account.

The form queues one job whatever the email, and the request does not wait for it. The job
(accounts.mails) mails a new address a single-use link that creates the account, and the owner
of a known one a note that someone tried, with the ways to log in or reset the password.
"""

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from shophub.accounts import tokens, users
from shophub.accounts.jobs import signup_link_job
from shophub.extensions import db
from shophub.models import SignupToken, User
from shophub.platform import jobs, store_settings
from shophub.platform.links import external_url
from shophub.platform.queue import enqueue_after_commit


class SignupLinkError(ValueError):
    """The sign-up link cannot be used; the message says why."""


def request_signup(email: str, name: str, next_path: str = "") -> None:
    """Queue the sign-up mail; the same work whether or not the email has an account.

    Raises users.AccountError for a malformed email, which says nothing about accounts.
    """
    email = users.normalise_email(email)
    enqueue_after_commit(signup_link_job, email, (name or "").strip()[:120], next_path)
    db.session.commit()


def usable_link(token: str) -> SignupToken:
    """The stored link for this token, or SignupLinkError when unknown, used or expired."""
    link = None
    if tokens.plausible(token):
        link = db.session.scalar(
            select(SignupToken).where(SignupToken.token_hash == tokens.digest(token)))
    if link is None:
        raise SignupLinkError("This sign-up link is not valid. Ask for a new one.")
    problem = tokens.problem(link.used_at, link.expires_at, "sign-up link")
    if problem:
        raise SignupLinkError(problem)
    if users.find_by_email(link.email) is not None:
        raise SignupLinkError("An account with this email exists already. Log in, or reset "
                              "your password if you have forgotten it.")
    return link


def complete_signup(token: str, password: str) -> User:
    """Create the account the link is for, with this password; spend every link of the email.

    Raises SignupLinkError for a link that cannot be used, users.AccountError for a weak
    password (the link stays usable). The welcome mail goes out after the commit.
    """
    link = usable_link(token)
    try:
        user = users.register(link.email, password, link.name)
    except IntegrityError:  # created a moment ago through another link of the same email
        db.session.rollback()
        raise SignupLinkError("This sign-up link has already been used. Log in instead.") from None
    if not tokens.spend(SignupToken, link.id):
        db.session.rollback()
        raise SignupLinkError("This sign-up link has already been used. Log in instead.")
    db.session.execute(
        update(SignupToken)
        .where(SignupToken.email == link.email, SignupToken.used_at.is_(None))
        .values(used_at=datetime.now(UTC)))
    jobs.queue_mail(f"welcome:{user.id}", user.email,
                    f"Welcome to {store_settings.display_name()}", "welcome",
                    name=user.name, shop_url=external_url("shop.home"))
    db.session.commit()
    return user
