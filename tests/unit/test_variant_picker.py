"""Resolving a shopper's option choice to a variant."""

from shophub.catalog.picker import build_picker, choose_variant, option_slugs_of
from shophub.models import OptionList, OptionValue, Variant, VariantOption


def option_list(list_id, name, position, values):
    """An option list (not saved) with these values in this order."""
    made = OptionList(id=list_id, name=name, slug=name.lower(), position=position)
    made.values = [OptionValue(id=list_id * 100 + i, value=value, position=i)
                   for i, value in enumerate(values)]
    return made


def variant_with(variant_id, stock, *values):
    """A variant (not saved) with these OptionValues."""
    variant = Variant(id=variant_id, sku=f"V{variant_id}", stock=stock,
                      price_cents=1000 + variant_id)
    variant.options = [VariantOption(option_list_id=value.option_list.id,
                                     option_value_id=value.id, value=value)
                       for value in values]
    return variant


def variants():
    """S/Red sold out, M/Red, M/Blue, L/Blue sold out (Size is the store's first list)."""
    size = option_list(1, "Size", 0, ["S", "M", "L"])
    colour = option_list(2, "Colour", 1, ["Red", "Blue"])
    s, m, large = size.values
    red, blue = colour.values
    return [variant_with(1, 0, s, red), variant_with(2, 3, m, red),
            variant_with(3, 9, m, blue), variant_with(4, 0, large, blue)]


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
    assert choose_variant(variants(), chosen={"size": "M", "colour": "Blue"}).id == 3
    assert choose_variant(variants(), chosen={"size": "S", "colour": "Red"}).id == 1


def test_missing_combination_follows_the_option_just_changed():
    # L/Red does not exist: a size change keeps L, a colour change keeps Red.
    chosen = {"size": "L", "colour": "Red"}
    assert choose_variant(variants(), chosen=chosen, changed="size").id == 4
    assert choose_variant(variants(), chosen=chosen, changed="colour").id == 2


def test_unknown_values_fall_back_to_default():
    assert choose_variant(variants(), chosen={"size": "XXL", "colour": "Gold"}).id == 2
    assert choose_variant(variants(), chosen={"size": "", "colour": None}).id == 2
    assert choose_variant(variants(), chosen={"grind": "Filter"}).id == 2


def test_picker_marks_selection_and_values_no_in_stock_variant_has():
    items = variants()
    picker = build_picker(items, items[2])
    sizes, colours = picker.groups
    assert (sizes.name, sizes.slug, colours.name, colours.slug) == (
        "Size", "size", "Colour", "colour")
    assert [(c.value, c.selected, c.available) for c in sizes.choices] == [
        ("S", False, False), ("M", True, True), ("L", False, False),
    ]
    assert [(c.value, c.selected, c.available) for c in colours.choices] == [
        ("Red", False, True), ("Blue", True, True),
    ]
    assert (sizes.selected, colours.selected) == ("M", "Blue")
    # A sold-out choice does not cross out values that other variants still offer.
    sold_out = build_picker(items, items[3])
    assert [c.available for c in sold_out.groups[0].choices] == [False, True, False]
    assert [c.available for c in sold_out.groups[1].choices] == [True, True]
    assert picker.stock_message == "In stock"
    assert build_picker(items, items[1]).stock_message == "Only 3 left"
    assert build_picker(items, items[0]).stock_message == "Sold out"


def test_groups_follow_the_order_of_the_lists_and_of_their_values():
    # Material comes first among the store's lists; its values are managed as Wool, Linen.
    material = option_list(3, "Material", 0, ["Wool", "Linen"])
    size = option_list(1, "Size", 1, ["S", "M", "L"])
    s, m, _ = size.values
    wool, linen = material.values
    items = [variant_with(1, 2, m, linen), variant_with(2, 2, s, wool),
             variant_with(3, 2, s, linen)]
    picker = build_picker(items, items[0])
    assert [group.slug for group in picker.groups] == ["material", "size"]
    assert option_slugs_of(items) == ["material", "size"]
    assert [c.value for c in picker.groups[0].choices] == ["Wool", "Linen"]
    assert [c.value for c in picker.groups[1].choices] == ["S", "M"]
    assert choose_variant(items, chosen={"material": "Linen", "size": "S"}).id == 3
    # Only Material chosen: no variant has exactly that, so one with the chosen Material.
    assert choose_variant(items, chosen={"material": "Wool"}, changed="material").id == 2


def test_a_product_without_options_has_no_groups():
    items = [Variant(id=1, sku="ONE", stock=3, price_cents=500)]
    picker = build_picker(items, items[0])
    assert picker.groups == []
    assert option_slugs_of(items) == []
    assert choose_variant(items, chosen={}).id == 1
