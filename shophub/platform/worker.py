"""The RQ worker of ShopHub: builds the app once, and waits out a Redis outage instead of dying.

Run it with `flask --app wsgi shophub worker` (`run_worker`), or with
`rq worker --worker-class shophub.platform.worker.Worker ...`. RQ's own worker forks a
work-horse per job; each horse then built the app again (seconds per mail). This one builds the
app before the first fork, so every horse starts with it ready. The lines RQ logs while a job
runs ("Job OK", its failure) carry the request id and order the job was queued under.
"""

import contextlib
import logging
import os
import time
from collections.abc import Sequence

import redis.exceptions
from flask import Flask
from redis import Redis
from rq import Queue
from rq.worker import Worker as RQWorker

from shophub.extensions import db
from shophub.platform import logs, metrics, queue

log = logging.getLogger(__name__)
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# Seconds between two looks at Redis while it is away; the wait doubles up to the cap.
FIRST_WAIT, LONGEST_WAIT = 0.5, 5.0


class Worker(RQWorker):
    """An RQ worker with a ready-built app and patience for Redis."""

    def bootstrap(self, *args, **kwargs):
        """Build the app before any job, then start as RQ does."""
        queue.set_worker_app(queue.worker_app())
        self._call_through_outages(super().bootstrap, *args, **kwargs)

    def execute_job(self, job, queue_):
        """Run the job (in its work-horse) under the request id and order it was queued with."""
        with logs.in_job_context(queue.log_context_of(job)):
            return super().execute_job(job, queue_)

    def main_work_horse(self, job, queue_, *args, **kwargs):
        """In the work-horse: drop the parent's database connections, and count as its horse."""
        metrics.count_as_work_horse_of(os.getppid())
        with queue.worker_app().app_context():
            db.engine.dispose(close=False)  # the parent keeps using its own
        return super().main_work_horse(job, queue_, *args, **kwargs)

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        """A work-horse that died in its job (killed, out of memory) counts as a failed run."""
        metrics.job_run(job.origin, metrics.FAILED)
        return super().handle_work_horse_killed(job, retpid, ret_val, rusage)

    def dequeue_job_and_maintain_ttl(self, *args, **kwargs):
        """Wait for the next job; while Redis is away, wait for Redis."""
        return self._call_through_outages(super().dequeue_job_and_maintain_ttl, *args, **kwargs)

    def check_for_suspension(self, *args, **kwargs):
        """RQ's suspension check, waiting out an outage."""
        return self._call_through_outages(super().check_for_suspension, *args, **kwargs)

    def heartbeat(self, *args, **kwargs):
        """RQ's heartbeat, waiting out an outage."""
        return self._call_through_outages(super().heartbeat, *args, **kwargs)

    def run_maintenance_tasks(self, *args, **kwargs):
        """RQ's registry clean-up, waiting out an outage."""
        return self._call_through_outages(super().run_maintenance_tasks, *args, **kwargs)

    def _call_through_outages(self, call, *args, **kwargs):
        while True:
            try:
                return call(*args, **kwargs)
            except REDIS_ERRORS as error:
                self._wait_for_redis(error)

    def _wait_for_redis(self, error: Exception) -> None:
        # One warning when Redis goes, one line when it is back: not a traceback a second.
        log.warning("Worker %s: Redis is unreachable (%s); waiting for it", self.name, error)
        pause = FIRST_WAIT
        while True:
            time.sleep(pause)
            try:
                self.connection.ping()
            except REDIS_ERRORS:
                pause = min(pause * 2, LONGEST_WAIT)
                continue
            break
        log.warning("Worker %s: Redis is back; going on", self.name)
        # Redis may have restarted without this worker's record; RQ's listener for stop and
        # kill commands reconnects by itself.
        with contextlib.suppress(ValueError):  # the record survived the outage
            self.register_birth()


def run_worker(app: Flask, queue_names: Sequence[str] = queue.QUEUES_BY_URGENCY, *,
               burst: bool = False) -> bool:
    """Serve `queue_names` in that order, with RQ's scheduler for retries; True if it worked.

    Jobs run in `app`; the lines go out as `app`'s logging says (configure_logging), RQ's
    own included. `burst` stops once the queues are empty.
    """
    connection = Redis.from_url(app.config["REDIS_URL"])
    queue.set_worker_app(app)
    if app.config.get("WORKER_METRICS_PORT"):
        metrics.serve_on_port(app.config["WORKER_METRICS_PORT"])
    worker = Worker([Queue(name, connection=connection) for name in queue_names],
                    connection=connection)
    # No level of RQ's own: LOG_LEVEL applies to its lines as to ours.
    return worker.work(burst=burst, with_scheduler=True, logging_level=None)
