"""Periodic payment jobs: releasing lapsed reservations and reconciling unpaid orders."""

from shophub.payments.flow import expire_stale_orders, reconcile_pending_orders
from shophub.platform.queue import MAINTENANCE_QUEUE, job


@job(queue_name=MAINTENANCE_QUEUE)
def expire_orders_job() -> int:
    """Periodic: release the stock of unpaid orders whose reservation lapsed."""
    return expire_stale_orders()


@job(queue_name=MAINTENANCE_QUEUE)
def reconcile_orders_job() -> int:
    """Periodic: apply the provider's state to unpaid orders a webhook may have missed."""
    return reconcile_pending_orders()
