"""Mails about an order, built from the order as it stands when the job runs."""

from shophub.core.money import format_money
from shophub.extensions import db
from shophub.models import Order
from shophub.platform import jobs, logs, store_settings
from shophub.platform.links import external_url

SUBJECTS = {
    "confirmation": "Order {number} confirmed",
    "refunded_late": "Order {number} refunded",
    "shipped": "Order {number} has shipped",
    "delivered": "Order {number} has arrived: how was it?",
}


def order_context(order: Order) -> dict:
    """What the order mails show: plain values only, ready to render."""
    def money(cents: int) -> str:
        return format_money(cents, order.currency)

    return {
        "store_name": store_settings.display_name(),
        "number": order.number,
        "order_url": external_url("orders.show", token=order.token),
        "items": [{"name": item.product_name, "options": item.options,
                   "quantity": item.quantity, "total": money(item.subtotal_cents)}
                  for item in order.items],
        "subtotal": money(order.subtotal_cents), "discount": money(order.discount_cents),
        "has_discount": order.discount_cents > 0, "coupon_code": order.coupon_code,
        "shipping": money(order.shipping_cents), "tax": money(order.tax_cents),
        "total": money(order.total_cents), "shipping_method": order.shipping_method_name,
        "ship_to": [line for line in (order.ship_name, order.ship_line1, order.ship_line2,
                                      f"{order.ship_postcode} {order.ship_city}".strip(),
                                      order.ship_region, order.ship_country) if line],
        "cancel_reason": order.cancel_reason,
        "carrier": order.carrier, "tracking_number": order.tracking_number,
        # Where the buyer reviews what they bought (shophub.reviews), once it is delivered.
        "review_url": external_url("reviews.order_lines", token=order.token),
        "footer": f"You get this mail because you ordered from {store_settings.display_name()}.",
    }


def send_order_mail(order_id: int, kind: str) -> bool:
    """Send one kind of mail for an order at most once; False if it was sent already."""
    order = db.session.get(Order, order_id)
    if order is None:
        return False
    with logs.about_order(order.number):
        subject = SUBJECTS[kind].format(number=order.number)
        return jobs.send_mail_job(f"order-{kind}:{order.id}", order.email, subject,
                                  f"order_{kind}", order_context(order))
