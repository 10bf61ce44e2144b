"""Account jobs: the mails of reset and sign-up requests, made and sent apart from the request."""

from shophub.accounts import mails
from shophub.platform.queue import job


@job(detached=True)
def reset_link_job(email: str) -> bool:
    """Mail a password reset link if an active account has this email."""
    return mails.mail_reset_link(email)


@job(detached=True)
def signup_link_job(email: str, name: str, next_path: str = "") -> bool:
    """Mail a sign-up link for a new email, or an "you have an account" note for a known one."""
    return mails.mail_signup_link(email, name, next_path)
