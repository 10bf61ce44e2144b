"""Background jobs: RQ workers when REDIS_URL is set, run in-process otherwise.

Jobs are plain module-level functions (RQ stores their dotted path), idempotent, and retried
with backoff. `enqueue_after_commit` holds a job until the database transaction it depends on
has committed, and drops it on rollback.
"""

import functools
import logging

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shophub.extensions import db

QUEUE_NAME = "shophub"
PENDING_KEY = "shophub.pending_jobs"
INLINE_ATTEMPTS = 4
log = logging.getLogger(__name__)
_worker_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Nothing to bind per app; the session hooks are registered once at import."""
    app.extensions["shophub_jobs"] = QUEUE_NAME


def set_worker_app(app: Flask | None) -> None:
    """Use this app for jobs run outside an app context (tests); None means create_app()."""
    global _worker_app
    _worker_app = app


def _app_for_jobs() -> Flask:
    global _worker_app
    if _worker_app is None:
        from shophub import create_app

        _worker_app = create_app()
    return _worker_app


def job(func):
    """Run a job function inside an app context (RQ workers have none of their own)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return func(*args, **kwargs)
        with _app_for_jobs().app_context():
            return func(*args, **kwargs)

    return wrapper


@functools.cache
def redis_connection(url: str) -> Redis:
    """One Redis connection pool per URL and process."""
    return Redis.from_url(url)


def queue() -> Queue:
    """The RQ queue of this app (only when REDIS_URL is set)."""
    return Queue(QUEUE_NAME, connection=redis_connection(current_app.config["REDIS_URL"]))


def _retry() -> Retry:
    intervals = [int(s) for s in current_app.config.get("JOB_RETRY_INTERVALS") or []]
    if not any(intervals):
        return Retry(max=max(len(intervals), 3))
    return Retry(max=len(intervals), interval=intervals)


def _run_inline(func, args, kwargs) -> None:
    app = current_app._get_current_object()
    attempts = max(len(app.config.get("JOB_RETRY_INTERVALS") or []), 3) + 1
    for attempt in range(1, attempts + 1):
        # A context of its own gives the job its own database session, apart from the caller's.
        with app.app_context():
            try:
                func(*args, **kwargs)
                return
            except Exception:
                db.session.rollback()
                if attempt == attempts:
                    app.logger.exception("Job %s failed %d times; giving up",
                                         getattr(func, "__name__", func), attempts)
                else:
                    log.warning("Job %s failed (attempt %d); retrying",
                                getattr(func, "__name__", func), attempt)


def enqueue(func, *args, **kwargs) -> None:
    """Queue a job now: on RQ when REDIS_URL is set, else run it in-process."""
    if current_app.config.get("REDIS_URL"):
        queue().enqueue(func, args=args, kwargs=kwargs, retry=_retry())
    else:
        _run_inline(func, args, kwargs)


def enqueue_after_commit(func, *args, **kwargs) -> None:
    """Queue a job once the current transaction commits; a rollback drops it."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any write still drops the job
    session.info.setdefault(PENDING_KEY, []).append((func, args, kwargs))


@event.listens_for(Session, "after_commit")
def _release_pending_jobs(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, [])
    for func, args, kwargs in pending:
        enqueue(func, *args, **kwargs)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending_jobs(session: Session, previous_transaction) -> None:
    session.info.pop(PENDING_KEY, None)


@job
def send_mail_job(key: str, to: str, subject: str, template: str, context: dict) -> bool:
    """Send one mail once: the key is claimed in sent_mail first; a failure frees it again."""
    from shophub import mail
    from shophub.models import SentMail

    if db.session.scalar(select(SentMail.id).where(SentMail.key == key)) is not None:
        return False
    claim = SentMail(key=key, recipient=to, template=template)
    db.session.add(claim)
    try:
        db.session.commit()
    except IntegrityError:  # another worker claimed it a moment ago
        db.session.rollback()
        return False
    try:
        mail.send_mail(to, subject, template, **context)
    except Exception:
        db.session.delete(claim)
        db.session.commit()
        raise
    return True


def queue_mail(key: str, to: str, subject: str, template: str, **context) -> None:
    """Send a templated mail from a job after the current transaction commits."""
    enqueue_after_commit(send_mail_job, key, to, subject, template, context)
