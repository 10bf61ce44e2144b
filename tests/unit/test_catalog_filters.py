"""Reading the catalog query string."""

import pytest
from werkzeug.datastructures import MultiDict

from shophub.catalog.filters import MAX_OPTION_VALUES, CatalogFilters, parse_catalog_filters

# The option lists of the store these query strings are read for.
OPTION_SLUGS = ("size", "colour", "material")


def parse(currency="USD", option_slugs=OPTION_SLUGS, **args):
    """Parse a query string given as keyword arguments (lists for repeated keys)."""
    multi = MultiDict()
    for key, value in args.items():
        for item in value if isinstance(value, list) else [value]:
            multi.add(key, item)
    return parse_catalog_filters(multi, currency, (12, 24, 48), 24, option_slugs)


def test_defaults():
    filters = parse()
    assert filters == CatalogFilters()
    assert filters.notices == ()
    assert not filters.is_filtered


def test_prices_are_read_in_major_units():
    filters = parse(min_price="10", max_price="25.50")
    assert (filters.min_price, filters.max_price) == (1000, 2550)
    assert filters.min_price_text == "10.00"


def test_zero_decimal_currency_prices():
    filters = parse(currency="JPY", min_price="1500")
    assert filters.min_price == 1500
    assert filters.min_price_text == "1,500"


@pytest.mark.parametrize(
    ("args", "notice"),
    [
        ({"min_price": "-5"}, "cannot be negative"),
        ({"max_price": "cheap"}, "is not an amount"),
        ({"sort": "bogus"}, "Unknown sort order"),
        ({"page": "abc"}, "is not valid"),
        ({"page": "0"}, "is not valid"),
        ({"page": "-3"}, "is not valid"),
        ({"page": "99999999999999999999"}, "is not valid"),
        ({"per_page": "1000"}, "Page size must be one of 12, 24, 48"),
    ],
)
def test_bad_values_are_corrected_with_a_notice(args, notice):
    filters = parse(**args)
    assert filters.page == 1
    assert filters.sort == "newest"
    assert filters.min_price is None and filters.max_price is None
    assert filters.per_page == 24
    assert any(notice in text for text in filters.notices), filters.notices


def test_swapped_price_range_is_put_right():
    filters = parse(min_price="50", max_price="10")
    assert (filters.min_price, filters.max_price) == (1000, 5000)
    assert "swapped" in filters.notices[0]


def test_options_are_deduplicated_and_bounded():
    filters = parse(size=["M", "M", " L ", ""] + [f"X{i}" for i in range(20)])
    assert filters.chosen("size")[:2] == ("M", "L")
    assert len(filters.chosen("size")) == MAX_OPTION_VALUES


def test_each_option_list_of_the_store_is_read_by_its_slug_and_kept_sorted():
    filters = parse(size="M", material=["Linen", "Wool"], colour="Blue")
    assert filters.options == (("colour", ("Blue",)), ("material", ("Linen", "Wool")),
                               ("size", ("M",)))
    assert filters.chosen("material") == ("Linen", "Wool")
    assert filters.chosen("grind") == ()
    assert filters.is_filtered
    # The same choice in another order of the query string is the same filter set.
    assert parse(colour="Blue", material=["Linen", "Wool"], size="M") == filters
    assert hash(filters) == hash(parse(colour="Blue", material=["Linen", "Wool"], size="M"))


def test_names_that_are_no_option_list_of_the_store_are_ignored():
    filters = parse(option_slugs=("grind",), size="M", grind="Filter", utm_source="mail")
    assert filters.options == (("grind", ("Filter",)),)
    assert filters.notices == () and filters.problems == ()
    assert parse(option_slugs=(), size="M") == CatalogFilters()


def test_an_option_chosen_with_only_empty_values_does_not_filter():
    filters = parse(size=["", "  "])
    assert filters.options == ()
    assert not filters.is_filtered


def test_long_search_is_trimmed_and_whitespace_folded():
    filters = parse(q="  linen    shirt " + "x" * 300)
    assert filters.q.startswith("linen shirt x")
    assert len(filters.q) == 100


def test_query_args_round_trip_and_leave_defaults_out():
    filters = parse(q="tee", category="tops", min_price="5", in_stock="1", size=["S", "M"],
                    sort="price_desc", per_page="12", page="3")
    args = filters.query_args()
    assert args == {"q": "tee", "category": "tops", "min_price": "5.00", "in_stock": "1",
                    "size": ["S", "M"], "sort": "price_desc", "per_page": 12, "page": 3}
    assert parse(**{k: v if isinstance(v, list) else str(v) for k, v in args.items()}) == filters
    assert "page" not in filters.query_args(page=1)
    assert parse().query_args() == {}


def test_query_string_encodes_repeated_options():
    filters = parse(q="red tee", size=["S", "M"])
    assert filters.query_string(page=2) == "q=red+tee&size=S&size=M&page=2"


def test_query_args_of_several_lists_round_trip():
    filters = parse(size=["S", "M"], material="Linen", colour="Blue")
    args = filters.query_args()
    assert args == {"colour": ["Blue"], "material": ["Linen"], "size": ["S", "M"]}
    assert parse(**args) == filters
    assert filters.query_args(options=()) == {}
