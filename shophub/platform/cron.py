"""Periodic jobs for RQ's cron scheduler: `rq cron shophub.platform.cron --url "$REDIS_URL"`.

They go on the maintenance queue, which workers serve before mail.
"""

from rq import cron

from shophub.newsletter.jobs import due_campaign_batches_job
from shophub.payments.jobs import expire_orders_job, reconcile_orders_job
from shophub.platform.jobs import dispatch_pending_jobs_job
from shophub.platform.queue import MAINTENANCE_QUEUE
from shophub.recovery.jobs import recovery_mails_job

cron.register(dispatch_pending_jobs_job, queue_name=MAINTENANCE_QUEUE, interval=60)
cron.register(expire_orders_job, queue_name=MAINTENANCE_QUEUE, interval=60)
cron.register(reconcile_orders_job, queue_name=MAINTENANCE_QUEUE, interval=180)
# A sending campaign's next batch goes when NEWSLETTER_BATCH_SECONDS have passed.
cron.register(due_campaign_batches_job, queue_name=MAINTENANCE_QUEUE, interval=30)
cron.register(recovery_mails_job, queue_name=MAINTENANCE_QUEUE, interval=60)
