"""Resolving a shopper's option choice to a variant."""

from shophub.catalog.picker import build_picker, choose_variant
from shophub.models import Variant


def variants():
    """S/Red sold out, M/Red, M/Blue, L/Blue sold out."""
    rows = [("S", "Red", 0), ("M", "Red", 3), ("M", "Blue", 9), ("L", "Blue", 0)]
    return [Variant(id=i + 1, sku=f"V{i}", size=s, colour=c, stock=q, price_cents=1000 + i)
            for i, (s, c, q) in enumerate(rows)]


def test_default_is_first_in_stock():
    assert choose_variant(variants()).id == 2


def test_default_when_everything_is_sold_out_is_the_first():
    items = variants()
    for v in items:
        v.stock = 0
    assert choose_variant(items).id == 1


def test_explicit_id_wins_and_bad_ids_are_ignored():
    assert choose_variant(variants(), variant_id="4").id == 4
    assert choose_variant(variants(), variant_id="999").id == 2
    assert choose_variant(variants(), variant_id="abc").id == 2
    assert choose_variant(variants(), variant_id="9" * 40).id == 2


def test_exact_option_match():
    assert choose_variant(variants(), size="M", colour="Blue").id == 3
    assert choose_variant(variants(), size="S", colour="Red").id == 1


def test_missing_combination_follows_the_option_just_changed():
    # L/Red does not exist: a size change keeps L, a colour change keeps Red.
    assert choose_variant(variants(), size="L", colour="Red", changed="size").id == 4
    assert choose_variant(variants(), size="L", colour="Red", changed="colour").id == 2


def test_unknown_values_fall_back_to_default():
    assert choose_variant(variants(), size="XXL", colour="Gold").id == 2


def test_picker_marks_selection_and_values_no_in_stock_variant_has():
    items = variants()
    picker = build_picker(items, items[2])
    assert [(c.value, c.selected, c.available) for c in picker.sizes] == [
        ("S", False, False), ("M", True, True), ("L", False, False),
    ]
    assert [(c.value, c.selected, c.available) for c in picker.colours] == [
        ("Red", False, True), ("Blue", True, True),
    ]
    # A sold-out choice does not cross out values that other variants still offer.
    sold_out = build_picker(items, items[3])
    assert [c.available for c in sold_out.sizes] == [False, True, False]
    assert [c.available for c in sold_out.colours] == [True, True]
    assert picker.stock_message == "In stock"
    assert build_picker(items, items[1]).stock_message == "Only 3 left"
    assert build_picker(items, items[0]).stock_message == "Sold out"
