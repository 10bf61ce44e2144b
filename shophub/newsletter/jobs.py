"""Newsletter jobs: confirmation mails, campaign batches and the mail of each delivery."""

from flask import current_app

from shophub.newsletter import sending
from shophub.platform import tenancy
from shophub.platform.queue import MAINTENANCE_QUEUE, job


@job(detached=True)
def signup_job(email: str, source: str) -> bool:
    """Mail the double opt-in link of a sign-up, unless the address is confirmed already."""
    return sending.process_signup(email, source)


@job
def delivery_job(delivery_id: int) -> bool:
    """Send one subscriber's copy of a campaign (once), if they are still confirmed."""
    return sending.deliver(delivery_id)


@job
def campaign_batch_job(campaign_id: int) -> None:
    """Send a campaign's next batch; the scheduler sends the rest at the configured pace.

    Without Redis there is no scheduler: every batch is sent in turn, here.
    """
    if current_app.config.get("REDIS_URL"):
        sending.send_batch(campaign_id, delivery_job)
        return
    while sending.send_batch(campaign_id, delivery_job, wait=False):
        pass


@job(queue_name=MAINTENANCE_QUEUE)
def due_campaign_batches_job() -> int:
    """Periodic: send the next batch of every store's campaign that is due; returns how many."""
    due = sending.due_campaigns()
    for store_id, campaign_id in due:
        with tenancy.use_store(store_id):
            sending.send_batch(campaign_id, delivery_job)
    return len(due)
