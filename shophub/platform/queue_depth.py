"""Queue depth for /metrics, read when Prometheus scrapes: RQ's queues and pending_job.

A service that does not answer leaves its gauges out of that scrape and is counted
(`shophub_metrics_unreachable_total`); the rest of the answer is unaffected.
"""

import contextlib

from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from shophub.extensions import db
from shophub.models import PendingJob
from shophub.platform import metrics
from shophub.platform import queue as job_queue


class QueueDepthCollector:
    """Collects the depth of every queue when a scrape asks (inside a request)."""

    def collect(self):
        """The gauges that could be read now."""
        yield from self._pending_rows()
        if current_app.config.get("REDIS_URL"):
            yield from self._rq_queues(current_app.config["REDIS_URL"])

    def _rq_queues(self, redis_url: str):
        queues = [job_queue.queue(name) for name in job_queue.QUEUES_BY_URGENCY]
        try:
            with job_queue.redis_connection(redis_url).pipeline(transaction=False) as pipe:
                for rq_queue in queues:
                    pipe.llen(rq_queue.key)
                lengths = pipe.execute()
        except RedisError:
            metrics.service_unreachable("redis")
            return
        gauge = GaugeMetricFamily("shophub_queue_jobs", "Jobs waiting in each RQ queue.",
                                  labels=["queue"])
        for rq_queue, length in zip(queues, lengths, strict=True):
            gauge.add_metric([rq_queue.name], length)
        yield gauge

    def _pending_rows(self):
        given_up = PendingJob.dispatches >= job_queue.MAX_DISPATCHES
        try:
            total, left = db.session.execute(
                select(func.count(), func.coalesce(func.sum(case((given_up, 1), else_=0)), 0))
                .select_from(PendingJob)).one()
        except SQLAlchemyError:
            with contextlib.suppress(Exception):  # the connection may be gone with it
                db.session.rollback()
            metrics.service_unreachable("database")
            return
        yield GaugeMetricFamily("shophub_pending_jobs",
                                "Jobs in pending_job: committed and not yet succeeded.",
                                value=total)
        yield GaugeMetricFamily("shophub_pending_jobs_given_up",
                                "Jobs in pending_job handed over too often, left for a person.",
                                value=left)
