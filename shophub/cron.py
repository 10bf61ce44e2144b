"""Periodic jobs for RQ's cron scheduler: `rq cron shophub.cron --url "$REDIS_URL"`."""

from rq import cron

from shophub.jobs import (
    QUEUE_NAME,
    dispatch_pending_jobs_job,
    expire_orders_job,
    reconcile_orders_job,
)

cron.register(dispatch_pending_jobs_job, queue_name=QUEUE_NAME, interval=60)
cron.register(expire_orders_job, queue_name=QUEUE_NAME, interval=60)
cron.register(reconcile_orders_job, queue_name=QUEUE_NAME, interval=180)
