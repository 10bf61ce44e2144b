"""Text typed by people: the one cleaning rule every form and query parameter goes through."""

import unicodedata


def clean_text(raw: object, limit: int, *, multiline: bool = False) -> str:
    """`raw` as text without control or format characters, trimmed and cut to `limit`.

    Every Unicode character of category C goes (NUL, which PostgreSQL refuses, zero-width and
    bidirectional marks included); multi-line text keeps its line breaks and tabs, with CRLF
    made LF. Callers that report "too long" pass a `limit` above the field's own maximum.
    """
    text = "" if raw is None else str(raw)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(ch for ch in text
                   if unicodedata.category(ch)[0] != "C" or (multiline and ch in "\n\t"))
    return kept.strip()[:limit]


def single_line(raw: object, limit: int) -> str:
    """clean_text() with every run of whitespace made one space (names, codes, reasons)."""
    return " ".join(clean_text(raw, limit * 4).split())[:limit]
