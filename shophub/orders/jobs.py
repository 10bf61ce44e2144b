"""Order jobs: the mails about an order, sent once each."""

from shophub.orders.mail import send_order_mail
from shophub.platform.queue import job


@job
def order_mail_job(order_id: int, kind: str) -> bool:
    """Send one of an order's mails once, built from the order as it stands."""
    return send_order_mail(order_id, kind)
