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


def _retry_count(intervals: list[int]) -> int:
    return len(intervals) or 3


def _intervals() -> list[int]:
    return [int(seconds) for seconds in current_app.config.get("JOB_RETRY_INTERVALS") or []]


def _retry() -> Retry:
    intervals = _intervals()
    if not any(intervals):  # no waiting: RQ requeues a failed job at once
        return Retry(max=_retry_count(intervals))
    return Retry(max=len(intervals), interval=intervals)


def _name(func) -> str:
    return getattr(func, "__qualname__", repr(func))


def _run_inline(func, args, kwargs) -> None:
    app = current_app._get_current_object()
    attempts = _retry_count(_intervals()) + 1
    for attempt in range(1, attempts + 1):
        # A context of its own gives the job its own database session, apart from the
        # caller's (which may be in the middle of committing, see _release_pending_jobs).
        with app.app_context():
            try:
                func(*args, **kwargs)
                return
            except Exception:
                db.session.rollback()
                if attempt == attempts:
                    app.logger.exception("Job %s failed %d times; giving up",
                                         _name(func), attempts)
                else:
                    log.warning("Job %s failed (attempt %d of %d); retrying",
                                _name(func), attempt, attempts, exc_info=True)


def enqueue(func, *args, **kwargs) -> None:
    """Queue a job now: on RQ when REDIS_URL is set, else run it in-process.

    Inline, a job that still fails after its retries is logged, not raised.
    """
    if current_app.config.get("REDIS_URL"):
        queue().enqueue(func, args=args, kwargs=kwargs, retry=_retry())
    else:
        _run_inline(func, args, kwargs)


def enqueue_after_commit(func, *args, **kwargs) -> None:
    """Queue a job once the current transaction commits; a rollback drops it.

    A job queued inside a SAVEPOINT (begin_nested) moves to the enclosing transaction when the
    savepoint is released, and is dropped when the savepoint is rolled back.
    """
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any write still drops the job
    owner = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_KEY, []).append((owner, func, args, kwargs))


@event.listens_for(Session, "after_commit")
def _release_pending_jobs(session: Session) -> None:
    pending = session.info.get(PENDING_KEY)
    if not pending:
        return
    committed = session.get_nested_transaction() or session.get_transaction()
    if committed is not None and committed.nested:
        # RELEASE SAVEPOINT: nothing is durable yet; the jobs now wait for the outer transaction.
        session.info[PENDING_KEY] = [
            (committed.parent if owner is committed else owner, *job_call)
            for owner, *job_call in pending
        ]
        return
    del session.info[PENDING_KEY]
    # The rows are committed. Inline jobs run right here, each in an app context (and so a
    # database session) of its own: this session must not emit SQL inside its commit hook.
    for _owner, func, args, kwargs in pending:
        try:
            enqueue(func, *args, **kwargs)
        except Exception:  # e.g. Redis down: the commit stands, so report and go on
            current_app.logger.exception("Could not queue job %s after commit", _name(func))


@event.listens_for(Session, "after_transaction_end")
def _drop_pending_jobs(session: Session, transaction) -> None:
    """A transaction or savepoint that ends without committing takes its jobs with it."""
    pending = session.info.get(PENDING_KEY)
    if not pending or not (transaction.nested or transaction.parent is None):
        return  # nothing queued, or an internal subtransaction (a flush)
    if transaction.parent is None:  # rollback or close of the whole transaction
        del session.info[PENDING_KEY]
        return
    session.info[PENDING_KEY] = [entry for entry in pending if entry[0] is not transaction]


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


@job
def expire_orders_job() -> int:
    """Periodic: release the stock of unpaid orders whose reservation lapsed."""
    from shophub.payment_flow import expire_stale_orders

    return expire_stale_orders()


@job
def reconcile_orders_job() -> int:
    """Periodic: apply the provider's state to unpaid orders a webhook may have missed."""
    from shophub.payment_flow import reconcile_pending_orders

    return reconcile_pending_orders()
