"""Figures for the staff dashboard: revenue, orders, stock, and revenue by month."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from shophub.extensions import db
from shophub.models import Order, Product, Variant

# Net revenue counts what was paid and not given back; unpaid and flagged orders are left out.
COUNTED = (Order.paid_at.is_not(None), Order.review_reason.is_(None))


@dataclass(frozen=True)
class MonthRevenue:
    """Net revenue of one calendar month."""

    year: int
    month: int
    revenue_cents: int
    orders: int

    @property
    def label(self) -> str:
        """Short month name with the year, e.g. "Nov 2026"."""
        return datetime(self.year, self.month, 1).strftime("%b %Y")


@dataclass(frozen=True)
class Summary:
    """The dashboard's headline figures."""

    revenue_today_cents: int
    revenue_30_days_cents: int
    revenue_all_time_cents: int
    paid_orders: int
    average_order_cents: int
    products_in_stock: int


def _revenue_since(start: datetime | None) -> tuple[int, int]:
    query = select(func.coalesce(func.sum(Order.total_cents - Order.refunded_cents), 0),
                   func.count(Order.id)).where(*COUNTED)
    if start is not None:
        query = query.where(Order.paid_at >= start)
    revenue, count = db.session.execute(query).one()
    return int(revenue), int(count)


def summary(now: datetime | None = None) -> Summary:
    """Revenue today, in the last 30 days and in all, paid orders, average order, stock."""
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today, _ = _revenue_since(midnight)
    month, _ = _revenue_since(now - timedelta(days=30))
    total, count = _revenue_since(None)
    in_stock = db.session.scalar(
        select(func.count(func.distinct(Product.id))).join(Variant)
        .where(Product.archived.is_(False), Variant.stock > 0)
    ) or 0
    return Summary(today, month, total, count, total // count if count else 0, in_stock)


def low_stock(threshold: int, limit: int = 10) -> list[tuple[Variant, Product]]:
    """Variants of listed products at or below the threshold, emptiest first."""
    rows = db.session.execute(
        select(Variant, Product).join(Product)
        .where(Product.archived.is_(False), Variant.stock <= threshold)
        .order_by(Variant.stock, Product.name, Variant.id).limit(limit)
    ).all()
    return [(variant, product) for variant, product in rows]


def recent_orders(limit: int = 8) -> list[Order]:
    """The newest orders, whatever their status."""
    return list(db.session.scalars(select(Order).order_by(Order.id.desc()).limit(limit)))


def _month_steps(now: datetime, months: int) -> list[tuple[int, int]]:
    year, month = now.year, now.month
    steps = []
    for _ in range(months):
        steps.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(steps))


def monthly_revenue(months: int = 12, now: datetime | None = None) -> list[MonthRevenue]:
    """Net revenue per calendar month (UTC) for the last `months` months, oldest first."""
    now = now or datetime.now(UTC)
    steps = _month_steps(now, months)
    start = datetime(steps[0][0], steps[0][1], 1, tzinfo=UTC)
    rows = db.session.execute(
        select(Order.paid_at, Order.total_cents - Order.refunded_cents)
        .where(*COUNTED, Order.paid_at >= start)
    ).all()
    totals: dict[tuple[int, int], list[int]] = {step: [0, 0] for step in steps}
    for paid_at, amount in rows:
        key = (paid_at.year, paid_at.month)
        if key in totals:
            totals[key][0] += int(amount)
            totals[key][1] += 1
    return [MonthRevenue(year, month, *totals[(year, month)]) for year, month in steps]
