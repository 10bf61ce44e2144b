"""Answering HTMX requests: the same template gives the whole page or one named block."""

from collections.abc import Sequence

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_blocks


def wants_fragment() -> bool:
    """True for an HTMX swap; boosted requests and history restores get the whole page."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render_page_or_block(template: str, block: str | Sequence[str], **context) -> Response:
    """Render the whole page, or only the named block(s) for an HTMX swap.

    Blocks after the first are out-of-band swaps; templates see `is_fragment` to mark them.
    The answer varies on HX-Request.
    """
    if wants_fragment():
        blocks = [block] if isinstance(block, str) else list(block)
        body = render_blocks(template, blocks, is_fragment=True, **context)
    else:
        body = render_template(template, is_fragment=False, **context)
    response = make_response(body)
    response.vary.add("HX-Request")
    return response
