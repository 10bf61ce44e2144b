"""The product page's variant picker: which variant a shopper's choice points at."""

from collections.abc import Sequence
from dataclasses import dataclass

from shophub.core.numbers import parse_row_id
from shophub.models import Variant

LOW_STOCK = 5


@dataclass(frozen=True)
class OptionChoice:
    """One radio button of the picker."""

    value: str
    selected: bool
    available: bool  # some in-stock variant has this value


@dataclass(frozen=True)
class Picker:
    """The chosen variant and the option groups to show around it."""

    variant: Variant
    sizes: list[OptionChoice]
    colours: list[OptionChoice]

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


def _parse_id(raw: str | None) -> int | None:
    return parse_row_id(raw)


def choose_variant(
    variants: Sequence[Variant],
    variant_id: str | None = None,
    size: str | None = None,
    colour: str | None = None,
    changed: str | None = None,
) -> Variant:
    """Resolve a choice to a variant.

    An explicit id wins; then an exact size and colour match; then a match on the option the
    shopper just changed; then the first in-stock variant. Unknown values never fail.
    """
    wanted_id = _parse_id(variant_id)
    by_id = next((v for v in variants if v.id == wanted_id), None)
    if by_id:
        return by_id
    if size or colour:
        exact = [v for v in variants if v.size == size and v.colour == colour]
        if exact:
            return exact[0]
        order = ("colour", "size") if changed == "colour" else ("size", "colour")
        for option in order:
            value = size if option == "size" else colour
            partial = [v for v in variants if value and getattr(v, option) == value]
            if partial:
                return next((v for v in partial if v.in_stock), partial[0])
    return next((v for v in variants if v.in_stock), variants[0])


def _choices(variants, option: str, chosen: Variant) -> list[OptionChoice]:
    values: list[str] = []
    for v in variants:
        value = getattr(v, option)
        if value and value not in values:
            values.append(value)
    return [
        OptionChoice(
            value=value,
            selected=getattr(chosen, option) == value,
            available=any(getattr(v, option) == value and v.in_stock for v in variants),
        )
        for value in values
    ]


def build_picker(variants: Sequence[Variant], chosen: Variant) -> Picker:
    """Option groups for the picker with `chosen` selected."""
    return Picker(
        variant=chosen,
        sizes=_choices(variants, "size", chosen),
        colours=_choices(variants, "colour", chosen),
    )
