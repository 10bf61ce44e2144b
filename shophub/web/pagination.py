"""Pagination in requests and pages: the page a request asks for, and the pager under a list.

The page arithmetic is pure and lives in `shophub.core.paging`, so services can use it; this
module adds what needs Flask. The pager itself is the `pager` macro of
templates/macros/pager.html: Previous, "Page n of m" and Next for a `core.paging.Page`, with the
caller giving each page's URL (so every list keeps its own query string):

    {% from "macros/pager.html" import pager %}
    {% call(n) pager(result, target='#orders-table') %}{{ url_for(..., page=n) }}{% endcall %}

With `target` the links also swap that element with HTMX and push the URL.
"""

from collections.abc import Mapping

from flask import request

from shophub.core.paging import MAX_PAGE, page_number


def requested_page(args: Mapping[str, str] | None = None, *, high: int = MAX_PAGE) -> int:
    """The `?page=` of the request (or of `args`); anything missing or odd is page 1."""
    return page_number((request.args if args is None else args).get("page"), high=high)
