"""The admin's order desk: the filtered, sorted and paged list, the CSV export, one order's page
and the staff's actions on it (ship, deliver, cancel, refund).

The rules of each status change live in `orders`; this module reads what staff typed, turns every
refusal into an `ActionRefused` with a message fit for them, and never lets one become a 500.
"""

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shophub.core import paging
from shophub.core.money import AmountError, format_amount, format_money, parse_amount
from shophub.core.text import single_line
from shophub.core.time import as_utc
from shophub.extensions import db
from shophub.models import AuditEntry, Order, OrderItem
from shophub.models.orders import ORDER_STATUSES, PAYMENT_STATUSES
from shophub.orders import service as orders
from shophub.orders.transitions import (
    PAID_NOT_REFUNDED,
    StaffActions,
    may_cancel_unpaid,
    staff_actions,
)
from shophub.payments.base import PaymentError

PAGE_SIZE = 25
PAGE_SIZES = (25, 50, 100)
# Emails sort without regard to case, the same on every database.
SORTS = {"number": Order.number, "date": Order.placed_at, "total": Order.total_cents,
         "status": Order.status, "email": func.lower(Order.email)}
SORT_LABELS = {"number": "Order", "date": "Placed", "email": "Email", "status": "Status",
               "total": "Total"}
DEFAULT_SORT, DEFAULT_DIRECTION = "date", "desc"
DIRECTIONS = ("asc", "desc")
MAX_SEARCH = 120
MAX_CARRIER = 80  # the lengths of the order's columns
MAX_TRACKING = 120
MAX_REASON = 200
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CSV_HEADER = ("number", "placed_at", "email", "status", "payment_status", "currency",
              "subtotal", "discount", "shipping", "tax", "total", "refunded", "item_count")
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ActionRefused(Exception):
    """A staff action that did not happen; the message says why."""


class OrderNotFound(LookupError):
    """No order has this id."""


def _shown(value: str) -> str:
    """A typed value, cut short, for a message about it."""
    return value if len(value) <= 40 else value[:40] + "…"


# --- the list ------------------------------------------------------------------------------------

@dataclass
class OrderFilters:
    """What the list shows: filters, sort and page size as read from the query string."""

    status: str = ""
    payment: str = ""
    placed_from: date | None = None
    placed_to: date | None = None
    q: str = ""
    sort: str = DEFAULT_SORT
    dir: str = DEFAULT_DIRECTION
    per_page: int = PAGE_SIZE
    messages: list[str] = field(default_factory=list)

    def params(self) -> dict[str, str]:
        """The filters as query-string values, defaults left out (for links and the export)."""
        values = {
            "status": self.status, "payment": self.payment, "q": self.q,
            "placed_from": self.placed_from.isoformat() if self.placed_from else "",
            "placed_to": self.placed_to.isoformat() if self.placed_to else "",
            "sort": self.sort if self.sort != DEFAULT_SORT else "",
            "dir": self.dir if self.dir != DEFAULT_DIRECTION else "",
            "per_page": str(self.per_page) if self.per_page != PAGE_SIZE else "",
        }
        return {key: value for key, value in values.items() if value}

    def sorted_by(self, column: str) -> dict[str, str]:
        """The params that sort by `column`, flipping the direction if it is the current sort."""
        direction = "asc" if column in ("number", "email", "status") else "desc"
        if column == self.sort:
            direction = "asc" if self.dir == "desc" else "desc"
        params = {**self.params(), "sort": column, "dir": direction}
        return params


def _parse_date(args: Mapping[str, str], key: str, label: str, messages: list[str]) -> date | None:
    text = (args.get(key) or "").strip()
    if not text:
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        messages.append(f"“{_shown(text)}” is not a date (use YYYY-MM-DD), so the "
                        f"“{label}” date is ignored.")
        return None


def parse_filters(args: Mapping[str, str]) -> OrderFilters:
    """Read the list's query string; a bad value is ignored with a message saying so."""
    messages: list[str] = []

    def choice(key: str, allowed, what: str) -> str:
        text = (args.get(key) or "").strip()
        if text and text not in allowed:
            messages.append(f"“{_shown(text)}” is not {what}, so it is ignored.")
            return ""
        return text

    filters = OrderFilters(
        status=choice("status", ORDER_STATUSES, "an order status"),
        payment=choice("payment", PAYMENT_STATUSES, "a payment status"),
        placed_from=_parse_date(args, "placed_from", "placed from", messages),
        placed_to=_parse_date(args, "placed_to", "placed to", messages),
        q=" ".join((args.get("q") or "").split())[:MAX_SEARCH],
        messages=messages,
    )
    sort = choice("sort", SORTS, "a column the orders can be sorted by")
    direction = choice("dir", DIRECTIONS, "a sort direction (asc or desc)")
    filters.sort = sort or DEFAULT_SORT
    filters.dir = direction or DEFAULT_DIRECTION
    per_page = choice("per_page", [str(size) for size in PAGE_SIZES],
                      f"a page size ({', '.join(str(size) for size in PAGE_SIZES)})")
    filters.per_page = int(per_page) if per_page else PAGE_SIZE
    if filters.placed_from and filters.placed_to and filters.placed_from > filters.placed_to:
        messages.append("The “placed from” date is after the “placed to” date, "
                        "so no order can match.")
    return filters


def _conditions(filters: OrderFilters) -> list:
    conditions = []
    if filters.status:
        conditions.append(Order.status == filters.status)
    if filters.payment:
        conditions.append(Order.payment_status == filters.payment)
    if filters.placed_from:
        conditions.append(Order.placed_at >= datetime.combine(filters.placed_from, time(),
                                                              tzinfo=UTC))
    if filters.placed_to:
        day_after = filters.placed_to + timedelta(days=1)
        conditions.append(Order.placed_at < datetime.combine(day_after, time(), tzinfo=UTC))
    if filters.q:
        escaped = (filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        pattern = f"%{escaped}%"
        conditions.append(Order.number.ilike(pattern, escape="\\")
                          | Order.email.ilike(pattern, escape="\\"))
    return conditions


def _item_count():
    return (select(func.coalesce(func.sum(OrderItem.quantity), 0))
            .where(OrderItem.order_id == Order.id).correlate(Order)
            .scalar_subquery().label("item_count"))


def _ordering(filters: OrderFilters) -> list:
    column = SORTS[filters.sort]
    if filters.dir == "asc":
        return [column.asc(), Order.id.asc()]
    return [column.desc(), Order.id.desc()]


def page_number(raw: str | None) -> int:
    """A page number from the query string; anything odd is page 1."""
    return paging.page_number(raw)


@dataclass(frozen=True, kw_only=True)
class OrderPage(paging.Page):
    """One page of the list: (order, units) rows, how many match, and where the page is."""

    rows: list[tuple[Order, int]]


def list_orders(filters: OrderFilters, page: int = 1) -> OrderPage:
    """A page of matching orders with unit counts, in two statements; past the end is the last."""
    conditions = _conditions(filters)
    total = db.session.scalar(select(func.count(Order.id)).where(*conditions)) or 0
    window = paging.page_at(page, total, filters.per_page)
    rows = []
    if total:
        result = db.session.execute(
            select(Order, _item_count()).where(*conditions).order_by(*_ordering(filters))
            .offset(window.offset).limit(window.limit)
        )
        rows = [(order, count) for order, count in result]
    return OrderPage.of(window, rows=rows)


# --- the CSV export ------------------------------------------------------------------------------

def csv_cell(value) -> str:
    """A value as CSV text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def plain_amount(amount_minor: int, currency: str) -> str:
    """Minor units as a decimal in major units with no grouping: 123456 USD -> '1234.56'."""
    return format_amount(amount_minor, currency).replace(",", "")


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return as_utc(moment).isoformat()


def csv_filename(today: date | None = None) -> str:
    """orders-YYYYMMDD.csv for today (UTC)."""
    return f"orders-{(today or datetime.now(UTC).date()).strftime('%Y%m%d')}.csv"


def csv_lines(filters: OrderFilters) -> Iterator[str]:
    """The export of every matching order as CSV lines, header first, read in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(value) for value in values])
        return buffer.getvalue()

    yield line(CSV_HEADER)
    query = (
        select(Order.number, Order.placed_at, Order.email, Order.status, Order.payment_status,
               Order.currency, Order.subtotal_cents, Order.discount_cents, Order.shipping_cents,
               Order.tax_cents, Order.total_cents, Order.refunded_cents, _item_count())
        .where(*_conditions(filters)).order_by(*_ordering(filters))
        .execution_options(yield_per=500)
    )
    for row in db.session.execute(query):
        currency = row.currency
        yield line([row.number, _iso(row.placed_at), row.email, row.status, row.payment_status,
                    currency, *(plain_amount(cents, currency) for cents in (
                        row.subtotal_cents, row.discount_cents, row.shipping_cents,
                        row.tax_cents, row.total_cents, row.refunded_cents)),
                    row.item_count])


# --- one order -----------------------------------------------------------------------------------

@dataclass
class OrderDetail:
    """One order with its lines, payments, refunds, audit timeline and what staff may do."""

    order: Order
    timeline: list[AuditEntry]
    actions: StaffActions

    def money(self, cents: int) -> str:
        """An amount in the order's currency."""
        return format_money(cents, self.order.currency)

    @property
    def refundable_plain(self) -> str:
        """What is left to refund, as typed in the refund field."""
        return plain_amount(self.order.refundable_cents, self.order.currency)


def order_detail(order_id: int) -> OrderDetail:
    """Everything the order's admin page shows; OrderNotFound if there is no such order."""
    order = db.session.scalar(
        select(Order).where(Order.id == order_id)
        .options(selectinload(Order.items), selectinload(Order.payments),
                 selectinload(Order.refunds))
    )
    if order is None:
        raise OrderNotFound(order_id)
    timeline = list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "order",
                                 AuditEntry.entity_id == order.id)
        .order_by(AuditEntry.id)
    ))
    return OrderDetail(order=order, timeline=timeline, actions=staff_actions(order))


def _order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def _text(value: str | None, label: str, limit: int, required: bool) -> str:
    text = single_line(value, limit * 4)
    if required and not text:
        raise ActionRefused(f"Enter the {label}.")
    if len(text) > limit:
        raise ActionRefused(f"The {label} is too long: at most {limit} characters.")
    return text


def _attempt(change, *args):
    try:
        return change(*args)
    except orders.TransitionRefused as refused:
        raise ActionRefused(str(refused)) from None


def ship_order(order_id: int, carrier: str | None, tracking_number: str | None) -> str:
    """Mark the order shipped (the buyer gets a mail); returns the message for staff."""
    order = _order(order_id)
    carrier = _text(carrier, "carrier", MAX_CARRIER, required=True)
    tracking = _text(tracking_number, "tracking number", MAX_TRACKING, required=True)
    _attempt(orders.ship, order.id, carrier, tracking)
    return (f"Order {order.number} is marked shipped with {carrier} ({tracking}); "
            "the buyer gets a mail.")


def deliver_order(order_id: int) -> str:
    """Mark the shipped order delivered; returns the message for staff."""
    order = _order(order_id)
    _attempt(orders.deliver, order.id)
    return f"Order {order.number} is marked delivered."


def cancel_order(order_id: int, reason: str | None) -> str:
    """Cancel an unpaid order, or refund and cancel a paid unshipped one; returns the message."""
    order = _order(order_id)
    number = order.number
    reason = _text(reason, "reason", MAX_REASON, required=False) or "Cancelled by the shop."
    if order.status == "cancelled":
        raise ActionRefused(f"Order {number} is cancelled already.")
    if may_cancel_unpaid(order):
        if not orders.cancel_unpaid(order.id, reason, None):
            raise ActionRefused("The order changed meanwhile; reload it and try again.")
        return f"Order {number} is cancelled and its stock is back."
    try:
        cancelled = _attempt(orders.cancel_paid, order.id, reason)
    except PaymentError as error:
        raise ActionRefused(f"The refund did not go through, so order {number} is not "
                            f"cancelled: {error}") from None
    refunded = cancelled.refunded_cents
    return (f"Order {number} is cancelled, its stock is back and "
            f"{format_money(refunded, cancelled.currency)} in all is refunded.")


def refund_order(order_id: int, amount_text: str | None, reason: str | None,
                 full: bool = False) -> str:
    """Refund part or all of what is left of a paid order; returns the message for staff."""
    order = _order(order_id)
    number, currency = order.number, order.currency
    if order.payment_status not in PAID_NOT_REFUNDED:
        raise ActionRefused(f"Order {number} has no payment left to refund.")
    maximum = order.refundable_cents
    if full:
        amount = maximum
    else:
        try:
            amount = parse_amount(amount_text or "", currency)
        except AmountError as error:
            raise ActionRefused(str(error)) from None
    if amount <= 0 or amount > maximum:
        raise ActionRefused(f"Enter an amount above zero and at most "
                            f"{format_money(maximum, currency)}, what is left to refund.")
    reason = _text(reason, "reason", MAX_REASON, required=False) or "Refunded by the shop."
    try:
        orders.refund(order.id, amount, reason, "admin")
    except PaymentError as error:
        raise ActionRefused(f"The refund did not go through: {error}") from None
    return f"Refunded {format_money(amount, currency)} of order {number}."
