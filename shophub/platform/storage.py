"""Product and banner pictures: where they live on disk and how pages link to them."""

from flask import request

# Every stored picture exists in these widths, as `<file>-<width>.webp`.
IMAGE_WIDTHS = (400, 800)

def image_url(file: str | None, width: int = 400) -> str:
    """URL of a stored picture at one of IMAGE_WIDTHS ('' when there is none)."""
    if not file:
        return ""
    # Built by hand rather than with url_for: listings ask for dozens of these per page.
    return f"{request.script_root}/media/{file}-{width}.webp"


def image_srcset(file: str | None) -> str:
    """A srcset attribute value listing every stored width of a picture."""
    if not file:
        return ""
    base = f"{request.script_root}/media/{file}"
    return ", ".join(f"{base}-{width}.webp {width}w" for width in IMAGE_WIDTHS)
