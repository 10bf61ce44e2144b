"""The recovery mails, built from the rows as they stand when the mail job runs.

Each is checked again here (the order may have been paid since the claim, the buyer may have
unsubscribed, staff may have switched the mail off), then sent once under its own key.
"""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from shophub.core.money import format_money
from shophub.core.time import as_utc, utcnow
from shophub.extensions import db
from shophub.models import BackInStockRequest, Order, Variant
from shophub.newsletter.unsubscribe import (
    is_unsubscribed,
    list_unsubscribe_headers,
    unsubscribe_url,
)
from shophub.platform import jobs, logs, store_settings
from shophub.platform.links import external_url
from shophub.recovery import links, rules

REMINDER = "reminder"
RESTORE = "restore_cart"
BACK_IN_STOCK = "back_in_stock"
# The StoreSettings switch of each kind.
SETTINGS = {REMINDER: "recovery_reminders", RESTORE: "recovery_restore_cart",
            BACK_IN_STOCK: "recovery_back_in_stock"}


def held_until_text(order: Order) -> str:
    """When the hold ends, as the mail says it: "14:30 UTC" (stores keep no time zone yet)."""
    return as_utc(order.reserved_until).strftime("%H:%M UTC")


def _common(email: str) -> dict:
    name = store_settings.display_name()
    return {"store_name": name, "unsubscribe_url": unsubscribe_url(email),
            "footer": f"You get this mail because you shopped at {name}."}


def _lines(order: Order) -> list[dict]:
    return [{"name": item.product_name, "options": item.options, "quantity": item.quantity}
            for item in order.items]


def _order_mail(order_id: int, kind: str) -> tuple[Order, str, dict] | None:
    order = db.session.get(Order, order_id)
    if order is None or not rules.setting_on(SETTINGS[kind]) or is_unsubscribed(order.email):
        return None
    if kind == REMINDER:
        if not rules.reminder_due(order, utcnow()):
            return None  # paid, cancelled or nearly lapsed since the claim
        held = held_until_text(order)
        subject = f"Your items are held until {held}"
        context = {"held_until": held, "resume_url": links.resume_url(order.token),
                   "total": format_money(order.total_cents, order.currency)}
    else:
        if not rules.restorable(order):
            return None
        subject = f"Your cart at {store_settings.display_name()} is waiting"
        context = {"restore_url": links.restore_url(order.id)}
    return order, subject, {**_common(order.email), **context, "items": _lines(order)}


def send_order_recovery_mail(order_id: int, kind: str) -> bool:
    """Send an order's reminder or restore mail once; False when it is not (or no more) due."""
    built = _order_mail(order_id, kind)
    if built is None:
        return False
    order, subject, context = built
    with logs.about_order(order.number):
        return jobs.send_mail_job(f"recovery-{kind}:{order.id}", order.email, subject,
                                  f"recovery_{kind}", context,
                                  list_unsubscribe_headers(order.email))


def send_back_in_stock_mail(request_id: int) -> bool:
    """Send one back-in-stock mail once; False when the request is gone or the mail is off."""
    asked = db.session.get(BackInStockRequest, request_id)
    if (asked is None or not rules.setting_on(SETTINGS[BACK_IN_STOCK])
            or is_unsubscribed(asked.email)):
        return False
    variant = db.session.scalar(select(Variant).options(joinedload(Variant.product))
                                .where(Variant.id == asked.variant_id))
    if variant is None:
        return False
    product = variant.product
    label = f"{product.name} ({variant.option_label})" if variant.option_label else product.name
    context = {**_common(asked.email), "label": label,
               "price": format_money(variant.price_cents, store_settings.currency()),
               "product_url": external_url("shop.product_detail", slug=product.slug,
                                           variant=variant.id)}
    return jobs.send_mail_job(f"recovery-back-in-stock:{asked.id}", asked.email,
                              f"{label} is back in stock", "recovery_back_in_stock", context,
                              list_unsubscribe_headers(asked.email))
