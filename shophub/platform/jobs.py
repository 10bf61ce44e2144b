"""The platform's jobs: sending one mail, and handing over jobs the queue never got."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shophub.extensions import db
from shophub.models import SentMail
from shophub.platform import mail
from shophub.platform.queue import (
    MAINTENANCE_QUEUE,
    dispatch_pending_jobs,
    hold_until_commit,
    job,
)


@job
def send_mail_job(key: str, to: str, subject: str, template: str, context: dict,
                  headers: dict[str, str] | None = None) -> bool:
    """Send one mail at least once; False when the mail under `key` was sent already.

    The mail is recorded in sent_mail only after the server accepted it (or the outbox file
    was written): a worker that dies before that leaves the mail to its retry. One that dies
    between the two sends it again, with the same Message-ID.
    """
    if db.session.scalar(select(SentMail.id).where(SentMail.key == key)) is not None:
        return False
    db.session.rollback()  # no transaction stays open while the server takes its time
    mail.send_mail(to, subject, template, message_id=mail.stable_message_id(key),
                   headers=headers, **context)
    db.session.add(SentMail(key=key, recipient=to, template=template))
    try:
        db.session.commit()
    except IntegrityError:  # another run sent and recorded it meanwhile
        db.session.rollback()
    return True


def queue_mail(key: str, to: str, subject: str, template: str, *, carries_secret: bool = False,
               headers: dict[str, str] | None = None, **context) -> None:
    """Send a templated mail from a job after the current transaction commits.

    `headers` are extra header fields (a marketing mail's List-Unsubscribe headers).

    A mail that carries a one-time secret (a reset or invite link) is not written to
    pending_job, where the secret would sit in the database in clear; if its hand-over fails
    it is lost, and the user asks for a new link.
    """
    extra = (headers,) if headers else ()
    hold_until_commit(send_mail_job, (key, to, subject, template, context, *extra), {},
                  store_pending=not carries_secret)


@job(queue_name=MAINTENANCE_QUEUE)
def dispatch_pending_jobs_job() -> int:
    """Periodic: hand over jobs left in pending_job (see dispatch_pending_jobs)."""
    return dispatch_pending_jobs()
