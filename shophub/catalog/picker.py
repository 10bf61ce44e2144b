"""The product page's variant picker: which variant a shopper's choice points at."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shophub.core.numbers import parse_row_id
from shophub.models import OptionList, OptionValue, Variant

LOW_STOCK = 5


@dataclass(frozen=True)
class OptionChoice:
    """One radio button of the picker."""

    value: str
    selected: bool
    available: bool  # some in-stock variant has this value


@dataclass(frozen=True)
class OptionGroup:
    """One radio group of the picker: an option list the product's variants have values of."""

    name: str
    slug: str  # the radio buttons' name, as the query string and HX-Trigger-Name carry it
    choices: list[OptionChoice]

    @property
    def selected(self) -> str | None:
        """The chosen variant's value of this list, if it has one."""
        return next((choice.value for choice in self.choices if choice.selected), None)


@dataclass(frozen=True)
class Picker:
    """The chosen variant and the option groups to show around it."""

    variant: Variant
    groups: list[OptionGroup]

    @property
    def stock_message(self) -> str:
        """What the buy box says about stock."""
        stock = self.variant.stock
        if stock <= 0:
            return "Sold out"
        if is_low_stock(stock):
            return f"Only {stock} left"
        return "In stock"


def is_low_stock(stock: int) -> bool:
    """Whether shoppers are told how many are left: a few, but not none."""
    return 0 < stock <= LOW_STOCK


def shown_quantity(stock: int) -> int:
    """The stock a shopper may know of: exact while it is low, else LOW_STOCK ("5 or more")."""
    return max(0, min(stock, LOW_STOCK))


def _lists_of(variants: Sequence[Variant]) -> list[OptionList]:
    lists: dict[str, OptionList] = {}
    for variant in variants:
        for option in variant.options:
            option_list = option.value.option_list
            lists.setdefault(option_list.slug, option_list)
    return sorted(lists.values(), key=lambda option: (option.position, option.id or 0))


def option_slugs_of(variants: Sequence[Variant]) -> list[str]:
    """The slugs of the option lists these variants have values of, in the store's order."""
    return [option.slug for option in _lists_of(variants)]


def choose_variant(
    variants: Sequence[Variant],
    variant_id: str | None = None,
    chosen: Mapping[str, str | None] | None = None,
    changed: str | None = None,
) -> Variant:
    """Resolve a choice ({list slug: value}) to a variant.

    An explicit id wins; then the variant with exactly the chosen values; then a match on the
    option the shopper just changed (`changed`, a list slug), then on the other chosen ones;
    then the first in-stock variant. Unknown values never fail.
    """
    wanted_id = parse_row_id(variant_id)
    by_id = next((v for v in variants if v.id == wanted_id), None)
    if by_id:
        return by_id
    wanted = {slug: value for slug, value in (chosen or {}).items() if value}
    if wanted:
        exact = [v for v in variants if v.option_values == wanted]
        if exact:
            return exact[0]
        order = sorted(wanted, key=lambda slug: slug != changed)
        for slug in order:
            partial = [v for v in variants if v.option_values.get(slug) == wanted[slug]]
            if partial:
                return next((v for v in partial if v.in_stock), partial[0])
    return next((v for v in variants if v.in_stock), variants[0])


def _choices(variants: Sequence[Variant], option_list: OptionList,
             chosen: Variant) -> list[OptionChoice]:
    slug = option_list.slug
    values: dict[str, OptionValue] = {}
    for variant in variants:
        for option in variant.options:
            if option.value.option_list.slug == slug:
                values.setdefault(option.value.value, option.value)
    ordered = sorted(values.values(), key=lambda value: (value.position, value.id or 0))
    return [
        OptionChoice(
            value=value.value,
            selected=chosen.option_values.get(slug) == value.value,
            available=any(v.option_values.get(slug) == value.value and v.in_stock
                          for v in variants),
        )
        for value in ordered
    ]


def build_picker(variants: Sequence[Variant], chosen: Variant) -> Picker:
    """Option groups for the picker with `chosen` selected: one per list, in the store's order."""
    return Picker(
        variant=chosen,
        groups=[OptionGroup(name=option_list.name, slug=option_list.slug,
                            choices=_choices(variants, option_list, chosen))
                for option_list in _lists_of(variants)],
    )
