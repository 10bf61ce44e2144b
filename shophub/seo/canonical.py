"""The one rule for a page's canonical link, and for which pages ask not to be indexed.

- Home is `/`, a product page is `/products/<slug>`, any other page is its path: query strings
  never reach the canonical link, except on the catalog.
- The catalog keeps `category` (a category is a page of its own), `q` (a search for "mug" is
  not the catalog, so pointing it there would call different content a duplicate) and `page`
  above 1. Sort, page size, price, stock and option filters only narrow or reorder the same
  listing, so such a view points at the unfiltered listing's first page: its page 3 is not the
  listing's page 3.
- Search results are endless and thin, so they ask for `noindex, follow`: their links are
  still followed.
"""

from flask import request, url_for
from werkzeug.datastructures import MultiDict

CATALOG_ENDPOINT = "shop.product_list"
CATALOG_KEPT = ("category", "q")
MAX_PAGE = 10_000


def _page_number(text: str | None) -> int | None:
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not text or len(text) > 5 or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 2 <= number <= MAX_PAGE else None


def catalog_query(args: MultiDict) -> dict[str, str | int]:
    """The query-string values a catalog view's canonical link keeps."""
    kept: dict[str, str | int] = {name: args[name].strip() for name in CATALOG_KEPT
                                  if (args.get(name) or "").strip()}
    narrowed = any((value or "").strip() for name, value in args.items(multi=True)
                   if name not in (*CATALOG_KEPT, "page"))
    page = _page_number((args.get("page") or "").strip())
    if page and not narrowed:
        kept["page"] = page
    return kept


def canonical_url() -> str | None:
    """The current page's canonical URL, absolute on the host it was asked on."""
    endpoint = request.endpoint
    if not endpoint or endpoint == "static":
        return None
    values = dict(request.view_args or {})
    if endpoint == CATALOG_ENDPOINT:
        values.update(catalog_query(request.args))
    return url_for(endpoint, _external=True, **values)


def robots_directive() -> str | None:
    """`noindex, follow` for pages that should not be indexed, None for the rest."""
    if request.endpoint == CATALOG_ENDPOINT and (request.args.get("q") or "").strip():
        return "noindex, follow"
    return None
