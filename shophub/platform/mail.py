"""Outgoing mail: SMTP through Flask-Mail when MAIL_SERVER is set, else .eml files in an outbox."""

import email
import email.policy
import hashlib
import logging
import os
import smtplib
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path

from flask import Flask, current_app, render_template
from flask_mail import Connection, Mail, Message

from shophub.platform import store_settings

log = logging.getLogger(__name__)


class _TimedConnection(Connection):
    """Flask-Mail's SMTP connection, with a timeout on connecting and on every reply."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        """Connect, say hello, start TLS and log in as Flask-Mail does, within MAIL_TIMEOUT."""
        timeout = current_app.config["MAIL_TIMEOUT"]
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class _Mailer(Mail):
    """Flask-Mail whose connections give up on a server that does not answer."""

    def connect(self) -> Connection:
        """A connection with MAIL_TIMEOUT on the socket."""
        return _TimedConnection(current_app.extensions["mail"])


mailer = _Mailer()


def init_app(app: Flask) -> None:
    """Bind Flask-Mail to the app."""
    mailer.init_app(app)


def sender() -> str:
    """The From of every mail: MAIL_DEFAULT_SENDER, else the store's name and MAIL_FROM_ADDRESS."""
    config = current_app.config
    return config["MAIL_DEFAULT_SENDER"] or formataddr(
        (store_settings.display_name(), config["MAIL_FROM_ADDRESS"]))


def render_message(to: str, subject: str, template: str, **context) -> Message:
    """A message with a text part and an HTML part from templates/emails/<template>.*."""
    context = {**context, "subject": subject}
    return Message(
        subject=subject,
        recipients=[to],
        sender=sender(),
        body=render_template(f"emails/{template}.txt", **context),
        html=render_template(f"emails/{template}.html", **context),
    )


def write_to_outbox(message: Message, folder: str, template: str) -> Path:
    """Write the message as an .eml file; readers never see half a file."""
    outbox = Path(folder)
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = outbox / f"{stamp}-{template}-{uuid.uuid4().hex[:8]}.eml"
    partial = path.with_suffix(".part")
    partial.write_bytes(message.as_bytes())
    os.replace(partial, path)
    return path


def stable_message_id(key: str) -> str:
    """The Message-ID of the mail sent under `key`: the same on every attempt, so a rare
    second copy (a worker died after the server took the first) is recognisable."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = parseaddr(sender())[1].rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def send_mail(to: str, subject: str, template: str, *, message_id: str | None = None,
              headers: dict[str, str] | None = None, **context) -> None:
    """Send one mail now: by SMTP when configured, else into the outbox folder.

    `headers` are extra header fields (a marketing mail's List-Unsubscribe).
    """
    message = render_message(to, subject, template, **context)
    if message_id is not None:
        message.msgId = message_id
    if headers:
        message.extra_headers = {**(message.extra_headers or {}), **headers}
    config = current_app.config
    if config.get("MAIL_SERVER"):
        mailer.send(message)
        # Never the recipient: an address is personal data (the order, if any, is on the line).
        log.info("Sent %s mail through %s", template, config["MAIL_SERVER"])
    else:
        path = write_to_outbox(message, config["MAIL_OUTBOX"], template)
        log.info("Wrote %s mail as %s", template, path)


def outbox_messages(folder: str) -> list[EmailMessage]:
    """The mails in an outbox folder, oldest first."""
    outbox = Path(folder)
    if not outbox.is_dir():
        return []
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(outbox.glob("*.eml"))
    ]
