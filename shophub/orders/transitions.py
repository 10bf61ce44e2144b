"""Which status moves an order may make: the one table, and what staff may do with an order now.

The order service changes statuses only along this table, and the admin's buttons ask
`staff_actions` instead of reading statuses themselves.
"""

from dataclasses import dataclass

from shophub.models import Order

# Order statuses each status may move to; anything else is a step back and is refused.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"shipped", "partially_refunded", "refunded", "cancelled"}),
    "partially_refunded": frozenset({"shipped", "refunded", "cancelled"}),
    "shipped": frozenset({"delivered", "refunded"}),
    "delivered": frozenset({"refunded"}),
    "cancelled": frozenset(),
    "refunded": frozenset(),
}

# Payment statuses, grouped by what they allow.
UNPAID = ("requires_payment", "processing", "failed")
PAID = ("succeeded", "partially_refunded", "refunded")
PAID_NOT_REFUNDED = ("succeeded", "partially_refunded")


def can_move(current: str, target: str) -> bool:
    """Whether an order may go from `current` to `target`."""
    return target in ORDER_TRANSITIONS.get(current, frozenset())


def statuses_before(target: str) -> tuple[str, ...]:
    """The order statuses from which the table allows a move to `target`."""
    return tuple(status for status, targets in ORDER_TRANSITIONS.items() if target in targets)


SHIPPABLE = statuses_before("shipped")
DELIVERABLE = statuses_before("delivered")
CANCELLABLE = statuses_before("cancelled")


def hold_reason(order: Order) -> str:
    """Why fulfilment of an on-hold order waits, in a few words."""
    if order.dispute_status not in (None, "won"):
        return f"the payment is disputed ({order.dispute_status.replace('_', ' ')})"
    return order.review_reason or "it needs a review"


def ship_refusal(order: Order) -> str | None:
    """Why the order cannot be marked shipped now, fit for staff; None when it can."""
    if order.status not in SHIPPABLE or order.payment_status not in PAID_NOT_REFUNDED:
        return (f"Order {order.number} is {order.status.replace('_', ' ')}: only a paid order "
                "that has not shipped yet can be marked shipped.")
    if order.on_hold:
        return (f"Order {order.number} is on hold because {hold_reason(order)}. "
                "Resolve that before shipping it.")
    return None


def may_cancel_unpaid(order: Order) -> bool:
    """Whether the order is pending and unpaid, so cancelling gives its stock back."""
    return order.status == "pending" and order.payment_status in UNPAID


def may_cancel_paid(order: Order) -> bool:
    """Whether the order is paid and not shipped, so cancelling refunds what is left."""
    return (order.status in CANCELLABLE and order.shipped_at is None
            and order.payment_status in PAID_NOT_REFUNDED)


@dataclass(frozen=True)
class StaffActions:
    """What staff may do with one order now; the admin shows a button for each True."""

    ship: bool
    deliver: bool
    cancel_unpaid: bool
    cancel_paid: bool
    refund: bool
    hold_reason: str | None
    shipping_waits_for_hold: bool

    @property
    def cancel(self) -> bool:
        """Whether the order can be cancelled at all."""
        return self.cancel_unpaid or self.cancel_paid

    @property
    def any(self) -> bool:
        """Whether anything is left to do."""
        return self.ship or self.deliver or self.cancel or self.refund


def staff_actions(order: Order) -> StaffActions:
    """The moves the table and the payment state allow for this order now."""
    paid = order.payment_status in PAID_NOT_REFUNDED
    return StaffActions(
        ship=ship_refusal(order) is None,
        deliver=order.status in DELIVERABLE,
        cancel_unpaid=may_cancel_unpaid(order),
        cancel_paid=may_cancel_paid(order),
        refund=paid and order.refundable_cents > 0,
        hold_reason=hold_reason(order) if order.on_hold else None,
        shipping_waits_for_hold=order.on_hold and order.status in SHIPPABLE,
    )
