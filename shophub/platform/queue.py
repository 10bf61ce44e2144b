"""The job queue: RQ workers when REDIS_URL is set, run in-process otherwise.

Jobs are plain module-level functions in each package's `jobs.py` (RQ stores their dotted
path), idempotent, and retried with backoff. `enqueue_after_commit` holds a job until the
database transaction it depends on has committed, and drops it on rollback. The job is also
written to `pending_job` in that transaction and deleted only when the job has succeeded, so
a job is never lost: not when Redis is down at the hand-over, loses its data or restarts, nor
when a worker dies in the middle of it. `dispatch_pending_jobs` hands such jobs over again.
"""

import contextlib
import functools
import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, has_app_context, has_request_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from shophub.config import with_request_timeouts
from shophub.extensions import db
from shophub.models import PendingJob
from shophub.platform import logs, metrics, outages, tenancy

# Queues by urgency: expiry, reconciliation and dispatch never wait behind a mail backlog.
# Workers serve them in this order: `rq worker shophub-maintenance shophub`.
MAINTENANCE_QUEUE = "shophub-maintenance"
QUEUE_NAME = "shophub"  # mail, and every job not marked for maintenance
QUEUES_BY_URGENCY = (MAINTENANCE_QUEUE, QUEUE_NAME)
PENDING_KEY = "shophub.pending_jobs"
# How long a pending job is left to the request that queued it before dispatch takes it over.
DISPATCH_AFTER_SECONDS = 60
# How often dispatch hands one job over before it is left to a person (it keeps failing).
MAX_DISPATCHES = 20
# RQ jobs whose pending_job row the job deletes itself once it has succeeded.
STORED_META = "shophub_pending"
# The request id and order a job logs under (logs.job_context), in its RQ meta and in its
# pending_job arguments; jobs queued without them log without them.
LOG_CONTEXT_META = "shophub_log"
LOG_CONTEXT_ARGUMENT = "log"
JOB_QUEUE = "The job queue (Redis)"
log = logging.getLogger(__name__)
_worker_app: Flask | None = None
_app_factory: Callable[[], Flask] | None = None
# Set while a job runs, so that a job calling another job's function leaves the row to the
# outer one: the row goes only when the whole job has succeeded.
_running_job: ContextVar[bool] = ContextVar("shophub_running_job", default=False)


def _job_context() -> dict:
    """What a job queued now runs under: the request id and order it logs, and its store."""
    return {**logs.job_context(), "store_id": tenancy.current_store_id()}


@contextlib.contextmanager
def _in_job_context(context: dict | None) -> Iterator[None]:
    """Run as `_job_context()` said: its log fields, in its store (old jobs: the default)."""
    context = context or {}
    with logs.in_job_context(context), tenancy.use_store(context.get("store_id")):
        yield


def init_app(app: Flask) -> None:
    """Nothing to bind per app; the session hooks are registered once at import."""
    app.extensions["shophub_jobs"] = QUEUE_NAME


def use_app_factory(factory: Callable[[], Flask]) -> None:
    """How a worker builds its app for jobs that arrive without one (the package registers it)."""
    global _app_factory
    _app_factory = factory


def set_worker_app(app: Flask | None) -> None:
    """Use this app for jobs run outside an app context (tests); None means the factory's."""
    global _worker_app
    _worker_app = app


def worker_app() -> Flask:
    """The app jobs run in outside any app context, built once per process by the factory."""
    global _worker_app
    if _worker_app is None:
        if _app_factory is None:
            raise RuntimeError("No app factory: import shophub before running its jobs.")
        _worker_app = _app_factory()
    return _worker_app


def job(func=None, *, queue_name: str = QUEUE_NAME, detached: bool = False):
    """Run a job function inside an app context (RQ workers have none of their own).

    On RQ, a job that came from pending_job deletes its row once it has succeeded.
    `@job(queue_name=MAINTENANCE_QUEUE)` puts the job on the maintenance queue.
    `@job(detached=True)`: without Redis, the request that queued it answers without waiting
    for it, so that the answer takes the same time whatever the job finds to do.
    """
    if func is None:
        return functools.partial(job, queue_name=queue_name, detached=detached)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if _running_job.get():
            return func(*args, **kwargs)
        token = _stored_token_of_current_rq_job()
        running = _running_job.set(True)
        try:
            with _in_job_context(log_context_of(get_current_job())):
                if has_app_context():
                    result = func(*args, **kwargs)
                    _forget_pending_here(token)
                    return result
                with worker_app().app_context():
                    result = func(*args, **kwargs)
                    _forget_pending_here(token)
                    return result
        finally:
            _running_job.reset(running)

    counted = _counting_runs(wrapper, queue_name)
    counted.queue_name = queue_name  # type: ignore[attr-defined]
    counted.detached = detached  # type: ignore[attr-defined]
    return counted


def _counting_runs(run: Callable, queue_name: str) -> Callable:
    """Count each run of a job, succeeded or failed; a job called by another is part of it."""

    @functools.wraps(run)
    def counted(*args, **kwargs):
        if _running_job.get():
            return run(*args, **kwargs)
        try:
            result = run(*args, **kwargs)
        except Exception:
            metrics.job_run(queue_name, metrics.FAILED)
            raise
        metrics.job_run(queue_name, metrics.SUCCEEDED)
        return result

    return counted


def log_context_of(rq_job: Job | None) -> dict:
    """The request id and order an RQ job was queued under (empty for jobs queued without)."""
    if rq_job is None:
        return {}
    return rq_job.meta.get(LOG_CONTEXT_META) or {}


def _stored_token_of_current_rq_job() -> str | None:
    current = get_current_job()
    if current is None or not current.meta.get(STORED_META):
        return None
    return current.id


def _forget_pending_here(token: str | None) -> None:
    """Delete a finished job's row in the current session (the job has committed its work)."""
    if token is None:
        return
    db.session.rollback()  # anything the job left uncommitted is not ours to commit
    db.session.execute(delete(PendingJob).where(PendingJob.token == token))
    db.session.commit()


@functools.cache
def redis_connection(url: str) -> Redis:
    """One Redis connection pool per URL and process, with the short timeouts of a request."""
    return Redis.from_url(with_request_timeouts(url))


def queue(name: str = QUEUE_NAME) -> Queue:
    """One of this app's RQ queues (only when REDIS_URL is set)."""
    return Queue(name, connection=redis_connection(current_app.config["REDIS_URL"]))


def queue_of(func) -> Queue:
    """The queue a job function goes on: its `@job(queue_name=...)`, else the mail queue."""
    return queue(getattr(func, "queue_name", QUEUE_NAME))


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


def _run_inline(func, args, kwargs, token: str | None = None) -> bool:
    app = current_app._get_current_object()
    attempts = _retry_count(_intervals()) + 1
    for attempt in range(1, attempts + 1):
        # A context of its own gives the job its own database session, apart from the
        # caller's (which may be in the middle of committing, see _release_pending_jobs).
        with app.app_context():
            try:
                func(*args, **kwargs)
                _forget_pending_here(token)
                return True
            except Exception:
                db.session.rollback()
                if attempt == attempts:
                    app.logger.exception("Job %s failed %d times; %s", _name(func), attempts,
                                         "dispatch runs it again later" if token
                                         else "giving up")
                else:
                    log.warning("Job %s failed (attempt %d of %d); retrying",
                                _name(func), attempt, attempts, exc_info=True)
    return False


def enqueue(func, *args, token: str | None = None, **kwargs) -> None:
    """Queue a job now: on RQ when REDIS_URL is set, else run it in-process.

    `token` names the job's pending_job row, which goes once the job has succeeded (on RQ the
    token is the RQ job's id). Inline, a job that still fails after its retries is logged,
    not raised, and its row stays for dispatch. On RQ the job logs under the current request
    id and order, and its description is its function's name alone: RQ logs descriptions,
    and arguments hold addresses and names.
    """
    if current_app.config.get("REDIS_URL"):
        meta: dict = {STORED_META: True} if token is not None else {}
        if context := _job_context():
            meta[LOG_CONTEXT_META] = context
        queue_of(func).enqueue(func, args=args, kwargs=kwargs, retry=_retry(), job_id=token,
                               meta=meta or None, description=function_path(func))
    else:
        _run_inline(func, args, kwargs, token)


def function_path(func) -> str:
    """The dotted path a job function is found by again (module and qualified name)."""
    return f"{func.__module__}.{func.__qualname__}"


def _function_at(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def enqueue_after_commit(func, *args, **kwargs) -> None:
    """Queue a job once the current transaction commits; a rollback drops it.

    A job queued inside a SAVEPOINT (begin_nested) moves to the enclosing transaction when the
    savepoint is released, and is dropped when the savepoint is rolled back. Its arguments
    must be JSON values: the job is also stored in `pending_job` by the same transaction.
    """
    hold_until_commit(func, args, kwargs, store_pending=True)


def hold_until_commit(func, args: tuple, kwargs: dict, *, store_pending: bool) -> None:
    """Queue `func(*args, **kwargs)` after the commit; `store_pending` also writes pending_job."""
    # Found now, if not yet: the commit hook that hands the job over must not read the database.
    tenancy.current_store_id()
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any write still drops the job
    token = None
    if store_pending:
        token = uuid.uuid4().hex
        arguments: dict = {"args": list(args), "kwargs": kwargs}
        if context := _job_context():
            arguments[LOG_CONTEXT_ARGUMENT] = context
        session.add(PendingJob(token=token, function=function_path(func), arguments=arguments))
    owner = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_KEY, []).append((owner, token, func, args, kwargs))


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
    # The rows are committed; each stays until its job has succeeded (the job deletes it).
    if not current_app.config.get("REDIS_URL"):
        _run_inline_beside_the_request([entry[1:] for entry in pending])
        return
    for _owner, token, func, args, kwargs in pending:
        try:
            enqueue(func, *args, token=token, **kwargs)
        except Exception as error:  # Redis away: the commit stands; dispatch queues it later
            outages.report_failure(JOB_QUEUE, error)
        else:
            outages.report_success(JOB_QUEUE)


def _run_inline_beside_the_request(calls: list[tuple]) -> None:
    """Run inline jobs, each in an app context (so a database session) of its own.

    This session must not emit SQL inside its commit hook, hence other sessions. In a
    request they run in a thread that the request waits for at most INLINE_JOB_WAIT_SECONDS,
    so that a hung mail server never holds a buyer's page, and detached jobs in a thread it
    does not wait for at all; a job that is cut off by the end of the process keeps its row
    for dispatch.
    """
    app = current_app._get_current_object()
    context = _job_context()  # a thread starts with no context variables of its own

    def runner_of(batch: list[tuple]) -> Callable[[], None]:
        def run() -> None:
            with _in_job_context(context), app.app_context():
                for token, func, args, kwargs in batch:
                    _run_inline(func, args, kwargs, token)
        return run

    if not has_request_context():
        runner_of(calls)()
        return
    detached = [call for call in calls if getattr(call[1], "detached", False)]
    waited = [call for call in calls if not getattr(call[1], "detached", False)]
    if detached:
        _start_inline_thread(runner_of(detached))
    if waited:
        _start_inline_thread(runner_of(waited)).join(app.config["INLINE_JOB_WAIT_SECONDS"])


_inline_threads: set[threading.Thread] = set()
_inline_threads_lock = threading.Lock()


def _start_inline_thread(run: Callable[[], None]) -> threading.Thread:
    def tracked() -> None:
        try:
            run()
        finally:
            with _inline_threads_lock:
                _inline_threads.discard(threading.current_thread())

    runner = threading.Thread(target=tracked, name="shophub-inline-jobs", daemon=True)
    with _inline_threads_lock:
        _inline_threads.add(runner)
    runner.start()
    return runner


def _running_inline_threads() -> list[threading.Thread]:
    with _inline_threads_lock:
        return list(_inline_threads)


def wait_for_inline_jobs(timeout: float = 10) -> bool:
    """Wait for the inline jobs still running beside requests; False if some outlast `timeout`."""
    deadline = time.monotonic() + timeout
    while (running := _running_inline_threads()) and time.monotonic() < deadline:
        running[0].join(max(0.0, deadline - time.monotonic()))
    return not _running_inline_threads()


def dispatch_pending_jobs(older_than_seconds: int = DISPATCH_AFTER_SECONDS) -> int:
    """Hand over again the jobs in pending_job that are due and not running; returns how many.

    A row older than `older_than_seconds` is due when its job is nowhere in the queue (the
    hand-over failed, or Redis lost it), or failed there (its retries ran out, or its worker
    died). A job queued, scheduled for a retry or running is left alone, and a row whose job
    finished is deleted. Without Redis every due row runs here, in-process. Jobs are
    idempotent, so one handed over twice does no harm.
    """
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
    rows = list(db.session.scalars(
        select(PendingJob).where(PendingJob.created_at <= cutoff,
                                 PendingJob.dispatches < MAX_DISPATCHES)
        .order_by(PendingJob.id).limit(500).with_for_update(skip_locked=True)))
    on_rq = bool(current_app.config.get("REDIS_URL"))
    try:
        states = _queue_states([row.token for row in rows]) if on_rq and rows else {}
    except RedisError as error:  # the queue is away: nothing can be handed over now
        outages.report_failure(JOB_QUEUE, error)
        db.session.rollback()
        return 0
    due = []
    for row in rows:
        state = states.get(row.token)
        if state == JobStatus.FINISHED:
            db.session.delete(row)  # it succeeded, but could not delete its row
        elif state is None or state in (JobStatus.FAILED, JobStatus.STOPPED,
                                         JobStatus.CANCELED):
            row.dispatches += 1
            due.append((row.token, row.function, row.arguments))
    db.session.commit()  # counted before running, so a job that kills its process stops too
    dispatched = 0
    for position, (token, function, arguments) in enumerate(due):
        try:
            func = _function_at(function)
        except (ImportError, AttributeError):
            current_app.logger.exception("Pending job %s names no job (%s)", token, function)
            continue
        try:
            with _in_job_context(arguments.get(LOG_CONTEXT_ARGUMENT)):
                enqueue(func, *arguments.get("args", []), token=token,
                        **arguments.get("kwargs", {}))
        except Exception as error:  # the queue is away: these were not handed over after all
            outages.report_failure(JOB_QUEUE, error)
            _uncount([entry[0] for entry in due[position:]])
            break
        dispatched += 1
    return dispatched


def _uncount(tokens: list[str]) -> None:
    db.session.execute(update(PendingJob).where(PendingJob.token.in_(tokens))
                       .values(dispatches=PendingJob.dispatches - 1))
    db.session.commit()


def _queue_states(tokens: list[str]) -> dict[str, str]:
    """What RQ knows of stored jobs: each one's status; a job it does not know is left out."""
    # Jobs of workers that died are moved to the failed registry first.
    for name in QUEUES_BY_URGENCY:
        StartedJobRegistry(queue=queue(name)).cleanup()
    states = {}
    for token in tokens:
        try:
            found = Job.fetch(token, connection=queue().connection)
        except NoSuchJobError:
            continue
        status = found.get_status(refresh=False)
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            found.delete()  # so that the same id can be queued afresh
        states[token] = status
    return states


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
