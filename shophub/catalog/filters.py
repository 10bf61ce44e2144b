"""Reading the catalog's query string into validated filters, with messages for bad input."""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from shophub.core.money import AmountError, format_amount, parse_amount
from shophub.core.numbers import parse_whole
from shophub.core.text import clean_text, single_line

SORTS = {
    "newest": "Newest",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "name": "Name: A to Z",
}
DEFAULT_SORT = "newest"
MAX_QUERY_LENGTH = 100
MAX_OPTION_VALUES = 10
MAX_OPTION_VALUE_LENGTH = 32  # as long as a managed value may be (catalog.options)
MAX_PAGE = 10_000

# The values chosen of each option list: ((list slug, (value, ...)), ...), sorted by slug.
ChosenOptions = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class CatalogFilters:
    """What a shopper asked the catalog for, already checked and corrected."""

    q: str = ""
    category: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool = False
    options: ChosenOptions = ()
    sort: str = DEFAULT_SORT
    page: int = 1
    per_page: int = 24
    default_per_page: int = 24
    currency: str = "USD"
    notices: tuple[str, ...] = field(default=(), compare=False)
    # The same findings for a client that is refused rather than corrected (the catalog API):
    # one reason per bad parameter, naming it as the query string does.
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def min_price_text(self) -> str:
        """The minimum price as it goes back into the form."""
        return "" if self.min_price is None else format_amount(self.min_price, self.currency)

    @property
    def max_price_text(self) -> str:
        """The maximum price as it goes back into the form."""
        return "" if self.max_price is None else format_amount(self.max_price, self.currency)

    @property
    def is_filtered(self) -> bool:
        """Whether anything narrows the results."""
        return bool(
            self.q or self.category or self.in_stock or self.options
            or self.min_price is not None or self.max_price is not None
        )

    def chosen(self, slug: str) -> tuple[str, ...]:
        """The values chosen of the option list with this slug (none: not filtered by it)."""
        return next((values for chosen, values in self.options if chosen == slug), ())

    def query_args(self, **changes) -> dict:
        """The query string for these filters (defaults left out), with `changes` applied."""
        target = replace(self, **changes)
        args: dict[str, object] = {}
        if target.q:
            args["q"] = target.q
        if target.category:
            args["category"] = target.category
        if target.min_price is not None:
            args["min_price"] = target.min_price_text.replace(",", "")
        if target.max_price is not None:
            args["max_price"] = target.max_price_text.replace(",", "")
        if target.in_stock:
            args["in_stock"] = "1"
        for slug, values in target.options:
            args[slug] = list(values)
        if target.sort != DEFAULT_SORT:
            args["sort"] = target.sort
        if target.per_page != target.default_per_page:
            args["per_page"] = target.per_page
        if target.page != 1:
            args["page"] = target.page
        return args

    def query_string(self, **changes) -> str:
        """query_args() encoded for a link: 'category=shoes&page=2'."""
        return urlencode(self.query_args(**changes), doseq=True)


def _option_values(args: MultiDict, name: str) -> tuple[str, ...]:
    values: list[str] = []
    for raw in args.getlist(name):
        value = clean_text(raw, MAX_OPTION_VALUE_LENGTH)
        if value and value not in values:
            values.append(value)
    return tuple(values[:MAX_OPTION_VALUES])


def _chosen_options(args: MultiDict, option_slugs: Iterable[str]) -> ChosenOptions:
    chosen = ((slug, _option_values(args, slug)) for slug in sorted(set(option_slugs)))
    return tuple((slug, values) for slug, values in chosen if values)


# What was wrong with the query string: (notice for the page, problem for the API) pairs.
Findings = list[tuple[str, str]]


def _price(args: MultiDict, name: str, label: str, currency: str,
           found: Findings) -> int | None:
    raw = clean_text(args.get(name), 40)
    if not raw:
        return None
    try:
        return parse_amount(raw, currency)
    except AmountError as error:
        found.append((f"{label} “{raw[:20]}” was ignored: {error}", f"{name}: {error}"))
        return None


def _positive_int(raw: str | None, name: str, label: str, found: Findings) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    number = parse_whole(text, low=1, high=MAX_PAGE)
    if number is not None:
        return number
    found.append((f"{label} “{text[:20]}” is not valid; showing the first page.",
                  f"{name} must be a whole number from 1 to {MAX_PAGE}"))
    return None


def parse_catalog_filters(
    args: MultiDict, currency: str, page_sizes: tuple[int, ...], default_page_size: int,
    option_slugs: Iterable[str],
) -> CatalogFilters:
    """Read the catalog query string; bad values are dropped or corrected with a notice.

    `option_slugs` are the store's option lists (`?size=M&size=L`); other names are ignored.
    """
    found: Findings = []
    q = single_line(args.get("q"), MAX_QUERY_LENGTH)
    category = clean_text(args.get("category"), 140) or None

    min_price = _price(args, "min_price", "Minimum price", currency, found)
    max_price = _price(args, "max_price", "Maximum price", currency, found)
    if min_price is not None and max_price is not None and min_price > max_price:
        min_price, max_price = max_price, min_price
        found.append(("The minimum price was above the maximum; they have been swapped.",
                      "min_price is above max_price"))

    sort = clean_text(args.get("sort"), 40) or DEFAULT_SORT
    if sort not in SORTS:
        found.append((f"Unknown sort order “{sort[:20]}”; showing newest first.",
                      f"sort must be one of {', '.join(SORTS)}"))
        sort = DEFAULT_SORT

    per_page = default_page_size
    raw_per_page = args.get("per_page")
    if raw_per_page:
        if parse_whole(raw_per_page) in page_sizes:
            per_page = int(raw_per_page)
        else:
            sizes = ", ".join(map(str, page_sizes))
            found.append((f"Page size must be one of {sizes}.", f"per_page must be one of {sizes}"))

    page = _positive_int(args.get("page"), "page", "Page", found) or 1
    return CatalogFilters(
        q=q,
        category=category,
        min_price=min_price,
        max_price=max_price,
        in_stock=args.get("in_stock", "") in {"1", "on", "true", "yes"},
        options=_chosen_options(args, option_slugs),
        sort=sort,
        page=page,
        per_page=per_page,
        default_per_page=default_page_size,
        currency=currency,
        notices=tuple(notice for notice, _ in found),
        problems=tuple(problem for _, problem in found),
    )
