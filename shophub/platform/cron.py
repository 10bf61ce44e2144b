"""Periodic jobs for RQ's cron scheduler: `rq cron shophub.platform.cron --url "$REDIS_URL"`."""

from rq import cron

from shophub.payments.jobs import expire_orders_job, reconcile_orders_job
from shophub.platform.jobs import dispatch_pending_jobs_job
from shophub.platform.queue import QUEUE_NAME

cron.register(dispatch_pending_jobs_job, queue_name=QUEUE_NAME, interval=60)
cron.register(expire_orders_job, queue_name=QUEUE_NAME, interval=60)
cron.register(reconcile_orders_job, queue_name=QUEUE_NAME, interval=180)
