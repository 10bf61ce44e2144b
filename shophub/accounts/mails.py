"""The account mails that jobs make and send: reset links, sign-up links, "you have an account".

They run in a job, never in the request that asked for them, so that the request answers the
same way, in the same time, whether or not the email has an account.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app

from shophub.accounts import tokens, users
from shophub.extensions import db
from shophub.models import PasswordResetToken, SignupToken
from shophub.platform import jobs, store_settings
from shophub.platform.links import external_url


def mail_reset_link(email: str) -> bool:
    """Make a reset token and mail its link when an active account has this (normalised) email.

    Returns whether a mail went out.
    """
    user = users.find_by_email(email)
    if user is None or not user.active:
        return False
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    token, digest = tokens.issue()
    now = datetime.now(UTC)
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=digest, created_at=now,
                                      expires_at=now + timedelta(minutes=minutes)))
    db.session.commit()
    return jobs.send_mail_job(
        f"password-reset:{digest[:32]}", user.email, "Reset your password", "password_reset",
        {"name": user.name, "minutes": minutes,
         "reset_url": external_url("account.reset_password", token=token)})


def mail_signup_link(email: str, name: str, next_path: str) -> bool:
    """Mail a link that creates the account, or tell the owner of an existing one.

    `email` is normalised; `next_path` is where the new customer goes once the account exists.
    Returns whether a mail went out.
    """
    store = store_settings.display_name()
    user = users.find_by_email(email)
    if user is not None:
        if not user.active:
            return False
        # At most one such mail an hour, so registering someone's address cannot flood them.
        hour = datetime.now(UTC).strftime("%Y%m%d%H")
        return jobs.send_mail_job(
            f"account-exists:{user.id}:{hour}", user.email,
            f"You already have an account at {store}", "account_exists",
            {"name": user.name, "login_url": external_url("account.login"),
             "reset_url": external_url("account.reset_request")})
    hours = current_app.config["SIGNUP_LINK_HOURS"]
    token, digest = tokens.issue()
    now = datetime.now(UTC)
    db.session.add(SignupToken(email=email, name=name, token_hash=digest, created_at=now,
                               expires_at=now + timedelta(hours=hours)))
    db.session.commit()
    return jobs.send_mail_job(
        f"signup:{digest[:32]}", email, f"Finish creating your account at {store}",
        "signup_link",
        {"name": name, "hours": hours,
         "footer": f"You get this mail because this address was entered to sign up at {store}.",
         "signup_url": external_url("account.finish_signup", token=token,
                                    next=next_path or None)})
