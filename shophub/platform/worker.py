"""The RQ worker of ShopHub: builds the app once, and waits out a Redis outage instead of dying.

Run it with `rq worker --worker-class shophub.platform.worker.Worker ...`. RQ's own worker
forks a work-horse per job; each horse then built the app again (seconds per mail). This one
builds the app before the first fork, so every horse starts with it ready.
"""

import contextlib
import logging
import time

import redis.exceptions
from rq.worker import Worker as RQWorker

from shophub.extensions import db
from shophub.platform import queue

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

    def main_work_horse(self, job, queue_, *args, **kwargs):
        """In the work-horse: drop the database connections inherited from the parent."""
        with queue.worker_app().app_context():
            db.engine.dispose(close=False)  # the parent keeps using its own
        return super().main_work_horse(job, queue_, *args, **kwargs)

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
