"""Jinja filters for money and dates; every date a page shows is written in UTC."""

from datetime import datetime

from flask import Flask

from shophub.core.money import format_money
from shophub.core.time import as_utc, long_date
from shophub.platform import store_settings

_STYLES = {
    "minutes": "%Y-%m-%d %H:%M",
    "seconds": "%Y-%m-%d %H:%M:%S",
    "day": "%Y-%m-%d",
    "time": "%H:%M",
}


def format_datetime(moment: datetime | None, style: str = "minutes") -> str:
    """A moment in UTC: "2026-12-01 14:30", or the "seconds", "day" or "time" style; "" if None."""
    if moment is None:
        return ""
    if style not in _STYLES:
        raise ValueError(f"unknown datetime style {style!r}; one of {', '.join(_STYLES)}")
    return as_utc(moment).strftime(_STYLES[style])


def format_date(moment: datetime | None, with_time: bool = False) -> str:
    """A moment in UTC as buyers read it: "1 December 2026" (", 14:30" with_time); "" if None."""
    if moment is None:
        return ""
    text = long_date(moment)
    return f"{text}, {as_utc(moment):%H:%M}" if with_time else text


def format_store_money(cents: int, currency: str | None = None) -> str:
    """An amount in minor units, in `currency` or else the store's currency."""
    return format_money(cents, currency or store_settings.currency())


def init_app(app: Flask) -> None:
    """Register the template filters: money, datetime and date."""
    app.jinja_env.filters.update(
        money=format_store_money, datetime=format_datetime, date=format_date,
    )
