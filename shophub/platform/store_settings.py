"""The store's run-time settings (name, currency, tax rate, reservation time), with defaults."""

from dataclasses import dataclass

from flask import current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from shophub.extensions import db
from shophub.models import StoreSettings
from shophub.platform import cache, tenancy

DEFAULT_TAX_RATE_BP = 0
DEFAULT_RESERVATION_MINUTES = 30
DEFAULT_LOW_STOCK_THRESHOLD = 5
DEFAULT_MAX_UNITS_PER_VARIANT = 10
DEFAULT_MAX_PENDING_ORDERS = 3


def current() -> StoreSettings:
    """The current store's settings row, or an unsaved one holding the defaults."""
    store_id = tenancy.current_store_id()
    settings = db.session.get(StoreSettings, store_id)
    if settings is None:
        settings = StoreSettings(id=store_id, tax_rate_bp=DEFAULT_TAX_RATE_BP,
                                 reservation_minutes=DEFAULT_RESERVATION_MINUTES,
                                 low_stock_threshold=DEFAULT_LOW_STOCK_THRESHOLD,
                                 max_units_per_variant=DEFAULT_MAX_UNITS_PER_VARIANT,
                                 max_pending_orders=DEFAULT_MAX_PENDING_ORDERS)
    return settings


def save(**values) -> StoreSettings:
    """Create or update the current store's settings row (not committed; the commit clears the
    cached identity)."""
    settings = db.session.get(StoreSettings, tenancy.current_store_id())
    if settings is None:
        settings = current()
        db.session.add(settings)
    for name, value in values.items():
        setattr(settings, name, value)
    return settings


IDENTITY_CACHE_KEY = "store:{store_id}:identity"
IDENTITY_CACHE_SECONDS = 60


@dataclass(frozen=True)
class StoreIdentity:
    """What every page and mail shows of the store: its name, its currency and its icon."""

    name: str
    currency: str
    favicon: str | None = None


def _read_identity(store_id: int) -> StoreIdentity:
    settings = db.session.get(StoreSettings, store_id)
    config = current_app.config
    return StoreIdentity(
        name=(settings and settings.store_name) or config["STORE_NAME"],
        currency=(settings and settings.currency) or config["STORE_CURRENCY"],
        favicon=settings.favicon if settings else None,
    )


def identity() -> StoreIdentity:
    """The saved name and currency, else STORE_NAME and STORE_CURRENCY from the environment.

    Read once per request and cached for IDENTITY_CACHE_SECONDS in the app's cache, which is
    shared by every worker when Redis is configured; saving the settings clears it.
    """
    store_id = tenancy.current_store_id()
    memos = g.setdefault("store_identity", {})
    memo = memos.get(store_id)
    if memo is not None:
        return memo
    key = IDENTITY_CACHE_KEY.format(store_id=store_id)
    memo = cache.get(key)
    if not isinstance(memo, StoreIdentity):
        memo = _read_identity(store_id)
        cache.put(key, memo, IDENTITY_CACHE_SECONDS)
    memos[store_id] = memo
    return memo


def forget_identity() -> None:
    """Drop the cached name and currency; call after committing a change to either."""
    g.pop("store_identity", None)
    # Cached catalog HTML shows the currency too, and the cache only holds what can be
    # computed again, so all of it goes.
    cache.clear()


@event.listens_for(Session, "after_flush")
def _note_settings_change(session, _context) -> None:
    if any(isinstance(row, StoreSettings) for row in (*session.new, *session.dirty)):
        session.info["store_settings_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session) -> None:
    if session.info.pop("store_settings_changed", False) and has_app_context():
        forget_identity()


@event.listens_for(Session, "after_rollback")
def _keep_after_rollback(session) -> None:
    session.info.pop("store_settings_changed", None)


def display_name() -> str:
    """The store's name as shoppers should see it."""
    return identity().name


def currency() -> str:
    """The currency prices are typed, stored, charged and shown in."""
    return identity().currency
