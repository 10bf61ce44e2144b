"""Time helpers: every moment ShopHub compares or shows is in UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one (SQLite gives these back) is taken to be UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# English month names spelled out here so the text does not depend on the process locale.
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def long_date(moment: datetime) -> str:
    """The UTC day of a moment as people read it: "1 December 2026"."""
    day = as_utc(moment)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def wait_text(seconds: int) -> str:
    """A wait as people read it: "1 second", "40 seconds", "3 minutes" (rounded up)."""
    if seconds < 120:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    return f"{-(-seconds // 60)} minutes"
