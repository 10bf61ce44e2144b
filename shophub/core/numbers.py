"""Whole numbers typed by people or carried in URLs: ASCII digits only, within a column's range."""

# Row ids are 32-bit integers on PostgreSQL; a larger number in a URL or form is simply not found.
MAX_ROW_ID = 2**31 - 1


def parse_whole(raw: object, *, low: int = 0, high: int = MAX_ROW_ID) -> int | None:
    """A whole number from `low` to `high` written in ASCII digits, or None.

    `str.isdigit()` alone accepts digits such as '²' that `int()` refuses, so ASCII is
    checked first; a very long string is refused before it is converted.
    """
    text = "" if raw is None else str(raw).strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None


def parse_row_id(raw: object) -> int | None:
    """A row id (1 to MAX_ROW_ID) from a form or query parameter, or None."""
    return parse_whole(raw, low=1)
