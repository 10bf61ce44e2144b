"""Staff changes to coupons, shipping methods and the store settings, checked and audited."""

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from shophub.cart.service import MAX_LINE_QUANTITY
from shophub.core.coupons import COUPON_KINDS, normalise_code
from shophub.core.money import (
    CURRENCY_EXPONENTS,
    AmountError,
    exponent,
    format_amount,
    parse_amount,
)
from shophub.core.numbers import parse_whole
from shophub.core.text import clean_text, single_line
from shophub.core.time import as_utc
from shophub.extensions import db
from shophub.models import Coupon, CouponRedemption, Order, Product, ShippingMethod
from shophub.platform import audit, store_settings

MAX_COUNT = 1_000_000
MAX_POSITION = 10_000
CODE_MAX_LENGTH = 40


class InvalidInput(ValueError):
    """Input that cannot be saved; `errors` maps each form field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _text(value, limit: int, *, multiline: bool = False) -> str:
    return clean_text(value, limit, multiline=True) if multiline else single_line(value, limit)


def _money(raw, field: str, errors: dict, *, required: bool = True) -> int | None:
    text = str(raw or "").strip()
    if not text and not required:
        return None
    try:
        return parse_amount(text, store_settings.currency())
    except AmountError as error:
        errors[field] = str(error)
        return None


def _count(raw, field: str, errors: dict, *, low: int, high: int) -> int | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, int) or not low <= raw <= high:
        errors[field] = f"Enter a whole number from {low:,} to {high:,}."
        return None
    return raw


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)


def _day(moment: datetime | None) -> date | None:
    return None if moment is None else as_utc(moment).date()


# --- Coupons ----------------------------------------------------------------------------------


def coupons() -> list[Coupon]:
    """Every coupon, active first, then by code."""
    return list(db.session.scalars(select(Coupon).order_by(Coupon.active.desc(), Coupon.code)))


def coupon_values(data: dict, coupon_id: int | None = None) -> dict:
    """Check a coupon form's data and return the column values; raises InvalidInput."""
    errors: dict[str, str] = {}
    code = normalise_code(data.get("code"))
    if not code:
        errors["code"] = "Enter a code."
    elif len(code) > CODE_MAX_LENGTH:
        errors["code"] = f"Use at most {CODE_MAX_LENGTH} characters."
    elif not all(ch.isalnum() or ch in "-_" for ch in code):
        errors["code"] = "Use letters, digits, “-” and “_” only."
    else:
        taken = db.session.scalar(
            select(Coupon.id).where(Coupon.code == code, Coupon.id != (coupon_id or 0)))
        if taken is not None:
            errors["code"] = f"The code {code} is already taken."
    kind = data.get("kind")
    value = 0
    if kind not in COUPON_KINDS:
        errors["kind"] = "Choose what the coupon gives."
    elif kind == "percent":
        text = str(data.get("value") or "").strip().rstrip("%").strip()
        percent = parse_whole(text, low=1, high=100)
        if percent is None:
            errors["value"] = "A percentage is a whole number from 1 to 100."
        else:
            value = percent
    elif kind == "fixed":
        value = _money(data.get("value"), "value", errors) or 0
        if "value" not in errors and value <= 0:
            errors["value"] = "A fixed discount must be more than zero."
    min_subtotal = _money(data.get("min_subtotal"), "min_subtotal", errors, required=False)
    starts, ends = data.get("starts"), data.get("ends")
    if starts and ends and ends <= starts:
        errors["ends"] = "The end date must be after the start date."
    usage_limit = _count(data.get("usage_limit"), "usage_limit", errors, low=1, high=MAX_COUNT)
    per_customer = _count(data.get("per_customer_limit"), "per_customer_limit", errors,
                          low=1, high=MAX_COUNT)
    if errors:
        raise InvalidInput(errors)
    return {
        "code": code, "description": _text(data.get("description"), 2000, multiline=True),
        "kind": kind, "value": value, "min_subtotal_cents": min_subtotal or 0,
        "starts_at": _midnight(starts), "ends_at": _midnight(ends),
        "usage_limit": usage_limit, "per_customer_limit": per_customer,
        "active": bool(data.get("active")),
    }


def coupon_form_data(coupon: Coupon) -> dict:
    """A stored coupon as the form shows it (amounts in major units, dates as dates)."""
    currency = store_settings.currency()
    value = ""
    if coupon.kind == "percent":
        value = str(coupon.value)
    elif coupon.kind == "fixed":
        value = format_amount(coupon.value, currency).replace(",", "")
    return {
        "code": coupon.code, "description": coupon.description, "kind": coupon.kind,
        "value": value,
        "min_subtotal": (format_amount(coupon.min_subtotal_cents, currency).replace(",", "")
                         if coupon.min_subtotal_cents else ""),
        "starts": _day(coupon.starts_at), "ends": _day(coupon.ends_at),
        "usage_limit": coupon.usage_limit, "per_customer_limit": coupon.per_customer_limit,
        "active": coupon.active,
    }


def _coupon_state(coupon: Coupon) -> dict:
    state = {name: getattr(coupon, name) for name in (
        "code", "description", "kind", "value", "min_subtotal_cents", "usage_limit",
        "per_customer_limit", "active")}
    for name in ("starts_at", "ends_at"):
        day = _day(getattr(coupon, name))
        state[name] = day.isoformat() if day else None
    return state


def save_coupon(data: dict, coupon: Coupon | None = None) -> Coupon:
    """Create a coupon, or update `coupon`, from form data (committed); raises InvalidInput."""
    values = coupon_values(data, coupon.id if coupon else None)
    before = _coupon_state(coupon) if coupon else None
    if coupon is None:
        coupon = Coupon(times_used=0, **values)
        db.session.add(coupon)
    else:
        for name, value in values.items():
            setattr(coupon, name, value)
    try:
        db.session.flush()
    except IntegrityError:  # the same code saved a moment ago by someone else
        db.session.rollback()
        raise InvalidInput({"code": f"The code {values['code']} is already taken."}) from None
    action = "coupon.updated" if before else "coupon.created"
    audit.record(action, "coupon", coupon.id, f"Coupon {coupon.code}",
                 before=before, after=_coupon_state(coupon))
    db.session.commit()
    return coupon


def coupon_was_used(coupon: Coupon) -> bool:
    """Whether any order carries the coupon or any redemption counts it."""
    return coupon.times_used > 0 or bool(db.session.scalar(select(
        exists().where(Order.coupon_id == coupon.id)
        | exists().where(CouponRedemption.coupon_id == coupon.id))))


def delete_coupon(coupon: Coupon) -> bool:
    """Delete an unused coupon, or deactivate a used one (committed); True when deleted."""
    before = _coupon_state(coupon)
    if coupon_was_used(coupon):
        coupon.active = False
        audit.record("coupon.deactivated", "coupon", coupon.id,
                     f"Coupon {coupon.code} was used, so it was deactivated, not deleted",
                     before=before, after=_coupon_state(coupon))
        db.session.commit()
        return False
    audit.record("coupon.deleted", "coupon", coupon.id, f"Coupon {coupon.code}", before=before)
    db.session.delete(coupon)
    db.session.commit()
    return True


# --- Shipping methods -------------------------------------------------------------------------


def shipping_methods() -> list[ShippingMethod]:
    """Every shipping method in display order."""
    return list(db.session.scalars(
        select(ShippingMethod).order_by(ShippingMethod.position, ShippingMethod.id)))


def shipping_values(data: dict) -> dict:
    """Check a shipping method form's data and return the column values; raises InvalidInput."""
    errors: dict[str, str] = {}
    name = _text(data.get("name"), 120)
    if not name:
        errors["name"] = "Enter a name."
    price = _money(data.get("price"), "price", errors)
    free_over = _money(data.get("free_over"), "free_over", errors, required=False)
    position = data.get("position")
    if position in (None, ""):
        position = 0
    elif not isinstance(position, int) or not -MAX_POSITION <= position <= MAX_POSITION:
        errors["position"] = f"Enter a whole number from {-MAX_POSITION:,} to {MAX_POSITION:,}."
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "description": _text(data.get("description"), 200),
            "price_cents": price, "free_over_cents": free_over, "position": position,
            "active": bool(data.get("active"))}


def shipping_form_data(method: ShippingMethod) -> dict:
    """A stored shipping method as the form shows it."""
    currency = store_settings.currency()
    return {
        "name": method.name, "description": method.description,
        "price": format_amount(method.price_cents, currency).replace(",", ""),
        "free_over": ("" if method.free_over_cents is None else
                      format_amount(method.free_over_cents, currency).replace(",", "")),
        "position": method.position, "active": method.active,
    }


def _shipping_state(method: ShippingMethod) -> dict:
    return {name: getattr(method, name) for name in (
        "name", "description", "price_cents", "free_over_cents", "position", "active")}


def save_shipping_method(data: dict, method: ShippingMethod | None = None) -> ShippingMethod:
    """Create or update a shipping method from form data (committed); raises InvalidInput."""
    values = shipping_values(data)
    before = _shipping_state(method) if method else None
    if method is None:
        method = ShippingMethod(**values)
        db.session.add(method)
    else:
        for name, value in values.items():
            setattr(method, name, value)
    db.session.flush()
    action = "shipping_method.updated" if before else "shipping_method.created"
    audit.record(action, "shipping_method", method.id, f"Shipping method {method.name}",
                 before=before, after=_shipping_state(method))
    db.session.commit()
    return method


def delete_shipping_method(method: ShippingMethod) -> None:
    """Delete a shipping method; orders keep its name and price (committed)."""
    audit.record("shipping_method.deleted", "shipping_method", method.id,
                 f"Shipping method {method.name}", before=_shipping_state(method))
    db.session.delete(method)
    db.session.commit()


# --- Settings ---------------------------------------------------------------------------------

TAX_MAX_BP = 10_000
LOW_STOCK_RANGE = (0, 100_000)
RESERVATION_RANGE = (5, 1440)
UNITS_PER_VARIANT_RANGE = (1, MAX_LINE_QUANTITY)
PENDING_ORDERS_RANGE = (1, 100)


def currency_choices() -> list[tuple[str, str]]:
    """Every supported currency with its number of decimals, by code."""
    return [(code, f"{code} ({digits} decimal{'' if digits == 1 else 's'})")
            for code, digits in sorted(CURRENCY_EXPONENTS.items())]


def parse_tax_percent(text: str | None) -> int:
    """A tax rate typed as a percent with up to two decimals, in basis points ("8.25" -> 825)."""
    cleaned = str(text or "").strip().rstrip("%").strip()
    if not cleaned:
        raise ValueError("Enter a tax rate (0 for none).")
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"“{text}” is not a percentage.") from None
    if not percent.is_finite():
        raise ValueError(f"“{text}” is not a percentage.")
    if not 0 <= percent <= 100:
        raise ValueError("A tax rate is from 0 to 100 %.")
    if percent != percent.quantize(Decimal("0.01")):
        raise ValueError("Use at most 2 decimals, e.g. 8.25.")
    return int(percent * 100)


def tax_percent_text(rate_bp: int) -> str:
    """Basis points as the settings form shows them (825 -> "8.25", 800 -> "8")."""
    whole, rest = divmod(rate_bp, 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".") if rest else str(whole)


# The recovery mails staff switch on and off (StoreSettings columns, shophub.recovery).
RECOVERY_SWITCHES = ("recovery_reminders", "recovery_restore_cart", "recovery_back_in_stock")


def settings_form_data() -> dict:
    """The current settings, with the configured name and currency where none is saved."""
    settings = store_settings.current()
    config = current_app.config
    return {
        "store_name": settings.store_name or config["STORE_NAME"],
        "currency": settings.currency or config["STORE_CURRENCY"],
        "tax_rate": tax_percent_text(settings.tax_rate_bp),
        "low_stock_threshold": settings.low_stock_threshold,
        "reservation_minutes": settings.reservation_minutes,
        "max_units_per_variant": settings.max_units_per_variant,
        "max_pending_orders": settings.max_pending_orders,
        **{name: getattr(settings, name) for name in RECOVERY_SWITCHES},
    }


def _currency_problem(old: str, new: str) -> str | None:
    if new == old or exponent(new) == exponent(old):
        return None
    priced = db.session.scalar(select(
        exists().where(Product.id.is_not(None)) | exists().where(Order.currency == old)))
    if not priced:
        return None
    return (f"Products or orders are priced in {old}, whose amounts have {exponent(old)} "
            f"decimal(s); {new} has {exponent(new)}, so every stored price would change its "
            f"value. Choose a currency with {exponent(old)} decimal(s), or switch on an empty "
            "store.")


def _settings_state(settings) -> dict:
    return {name: getattr(settings, name) for name in (
        "store_name", "currency", "tax_rate_bp", "low_stock_threshold", "reservation_minutes",
        "max_units_per_variant", "max_pending_orders", *RECOVERY_SWITCHES)}


def settings_values(data: dict) -> dict:
    """Check the settings form's data and return the values to store; raises InvalidInput."""
    errors: dict[str, str] = {}
    config = current_app.config
    current = store_settings.current()
    store_name = _text(data.get("store_name"), 120)
    if not store_name:
        errors["store_name"] = "Enter the store's name."
    currency = str(data.get("currency") or "").upper()
    if currency not in CURRENCY_EXPONENTS:
        errors["currency"] = "Choose a currency from the list."
    else:
        problem = _currency_problem(current.currency or config["STORE_CURRENCY"], currency)
        if problem:
            errors["currency"] = problem
    try:
        tax_rate_bp = parse_tax_percent(data.get("tax_rate"))
    except ValueError as error:
        errors["tax_rate"] = str(error)
    counts = {}
    for name, (low, high) in (("low_stock_threshold", LOW_STOCK_RANGE),
                              ("reservation_minutes", RESERVATION_RANGE),
                              ("max_units_per_variant", UNITS_PER_VARIANT_RANGE),
                              ("max_pending_orders", PENDING_ORDERS_RANGE)):
        counts[name] = _count(data.get(name), name, errors, low=low, high=high)
        if counts[name] is None:
            errors.setdefault(name, f"Enter a whole number from {low:,} to {high:,}.")
    if errors:
        raise InvalidInput(errors)
    # The environment's values stay "as configured" (None) until someone changes them.
    if store_name == config["STORE_NAME"] and not current.store_name:
        store_name = None
    if currency == config["STORE_CURRENCY"] and not current.currency:
        currency = None
    return {"store_name": store_name, "currency": currency, "tax_rate_bp": tax_rate_bp,
            **counts, **{name: bool(data.get(name)) for name in RECOVERY_SWITCHES}}


def save_settings(data: dict) -> bool:
    """Check and store the settings form's data (committed); raises InvalidInput."""
    values = settings_values(data)
    before = _settings_state(store_settings.current())
    after = _settings_state(store_settings.save(**values))
    if after != before:
        audit.record("settings.updated", "store_settings", 1, "Store settings",
                     before=before, after=after)
    db.session.commit()
    return True
