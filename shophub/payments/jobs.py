"""Periodic payment jobs: releasing lapsed reservations and reconciling unpaid orders."""

from shophub.payments.flow import expire_stale_orders, reconcile_pending_orders
from shophub.platform.queue import job


@job
def expire_orders_job() -> int:
    """Periodic: release the stock of unpaid orders whose reservation lapsed."""
    return expire_stale_orders()


@job
def reconcile_orders_job() -> int:
    """Periodic: apply the provider's state to unpaid orders a webhook may have missed."""
    return reconcile_pending_orders()
