"""The store's run-time settings (tax rate, reservation time), with defaults until set."""

from flask import current_app

from shophub.extensions import db
from shophub.models import StoreSettings

DEFAULT_TAX_RATE_BP = 0
DEFAULT_RESERVATION_MINUTES = 30
DEFAULT_LOW_STOCK_THRESHOLD = 5


def current() -> StoreSettings:
    """The settings row, or an unsaved one holding the defaults."""
    settings = db.session.get(StoreSettings, 1)
    if settings is None:
        settings = StoreSettings(id=1, tax_rate_bp=DEFAULT_TAX_RATE_BP,
                                 reservation_minutes=DEFAULT_RESERVATION_MINUTES,
                                 low_stock_threshold=DEFAULT_LOW_STOCK_THRESHOLD)
    return settings


def save(**values) -> StoreSettings:
    """Create or update the settings row (not committed)."""
    settings = db.session.get(StoreSettings, 1)
    if settings is None:
        settings = current()
        db.session.add(settings)
    for name, value in values.items():
        setattr(settings, name, value)
    return settings


def display_name() -> str:
    """The store's name as shoppers should see it: the saved one, else STORE_NAME."""
    return current().store_name or current_app.config["STORE_NAME"]
