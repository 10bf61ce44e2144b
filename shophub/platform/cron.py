"""Periodic jobs for RQ's cron scheduler: `rq cron shophub.platform.cron --url "$REDIS_URL"`.

They go on the maintenance queue, which workers serve before mail.
"""

from rq import cron

from shophub.payments.jobs import expire_orders_job, reconcile_orders_job
from shophub.platform.jobs import dispatch_pending_jobs_job
from shophub.platform.queue import MAINTENANCE_QUEUE

cron.register(dispatch_pending_jobs_job, queue_name=MAINTENANCE_QUEUE, interval=60)
cron.register(expire_orders_job, queue_name=MAINTENANCE_QUEUE, interval=60)
cron.register(reconcile_orders_job, queue_name=MAINTENANCE_QUEUE, interval=180)
