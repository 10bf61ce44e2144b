"""Currency exponents, and parsing and formatting of integer minor-unit amounts."""

from decimal import Decimal, InvalidOperation

# Minor-unit exponent per ISO 4217 code. Zero-decimal currencies have exponent 0.
CURRENCY_EXPONENTS = {
    "USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2,
    "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "MXN": 2, "BRL": 2,
    "INR": 2, "SGD": 2, "HKD": 2, "ZAR": 2,
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "PYG": 0, "UGX": 0,
    "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3,
}

CURRENCY_SYMBOLS = {
    "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "KRW": "₩", "INR": "₹",
    "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "CHF": "CHF ", "BRL": "R$",
    "MXN": "MX$", "SGD": "S$", "HKD": "HK$", "VND": "₫",
}

# The largest amount the store accepts from a person, in major units.
MAX_MAJOR_AMOUNT = Decimal("100000000")


class AmountError(ValueError):
    """An amount typed by a person that cannot be read as money."""


def exponent(currency: str) -> int:
    """Return the number of minor-unit digits of a currency code."""
    try:
        return CURRENCY_EXPONENTS[currency.upper()]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}") from None


def format_amount(amount_minor: int, currency: str) -> str:
    """Format minor units as a plain number with grouping: 123456 USD -> '1,234.56'."""
    digits = exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(int(amount_minor)), 10**digits)
    text = f"{major:,}"
    if digits:
        text += "." + str(minor).zfill(digits)
    return sign + text


def format_money(amount_minor: int, currency: str) -> str:
    """Format minor units for display with the currency's symbol: 1250 USD -> '$12.50'."""
    code = currency.upper()
    number = format_amount(amount_minor, code)
    sign = ""
    if number.startswith("-"):
        sign, number = "-", number[1:]
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {code}"


def parse_amount(text: str, currency: str) -> int:
    """Parse a non-negative amount typed in major units ('12.5', '1,200') into minor units.

    Raises AmountError with a message fit for the person who typed it.
    """
    digits = exponent(currency)
    cleaned = (text or "").strip().replace(",", "").replace("_", "")
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), "").strip()
    if symbol and cleaned.startswith(symbol):
        cleaned = cleaned[len(symbol):].strip()
    if not cleaned:
        raise AmountError("Enter an amount.")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError(f"“{text}” is not an amount.") from None
    if not value.is_finite():
        raise AmountError(f"“{text}” is not an amount.")
    if value < 0:
        raise AmountError("The amount cannot be negative.")
    if value > MAX_MAJOR_AMOUNT:
        raise AmountError("The amount is too large.")
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        if digits == 0:
            raise AmountError(f"{currency.upper()} amounts have no decimals.")
        raise AmountError(f"Use at most {digits} decimals.")
    return int(value.scaleb(digits))
