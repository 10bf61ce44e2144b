"""Flashed messages placed where they belong: the top of the page, or one section of it.

A message flashed as "success:images" belongs to the section with id "images", so that a
shopkeeper who was sent back to that section sees it there rather than above the fold.
"""

from flask import flash, get_flashed_messages


def flash_to(section: str, message: str, kind: str = "success") -> None:
    """Flash `message` into the page section `section` (kind: success, error, notice)."""
    flash(message, f"{kind}:{section}")


def page_messages() -> list[tuple[str, str]]:
    """(kind, message) pairs for the top of the page."""
    return [(category, message)
            for category, message in get_flashed_messages(with_categories=True)
            if ":" not in category]


def section_messages(section: str) -> list[tuple[str, str]]:
    """(kind, message) pairs flashed into `section`."""
    suffix = ":" + section
    return [(category.removesuffix(suffix), message)
            for category, message in get_flashed_messages(with_categories=True)
            if category.endswith(suffix)]
