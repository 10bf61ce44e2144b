"""The store's managed option lists (Size, Colour, Grind, …) and the values variants take.

A variant has at most one value of each list; its `option_label` ("M / Blue") is kept here,
in the order of the store's lists, whenever its values, a value's text or the lists' order
change. The lists are read on every catalog request (the query string names them), so they
are cached per store like the store's name.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import g
from slugify import slugify
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shophub.extensions import db
from shophub.models import OptionList, OptionValue, Variant, VariantOption
from shophub.platform import cache, tenancy

# Query-string names the catalog and product pages use for other things; no list takes them.
RESERVED_SLUGS = frozenset({
    "q", "category", "min_price", "max_price", "in_stock", "sort", "page", "per_page",
    "variant", "quantity", "next", "csrf_token", "featured",
})
MAX_NAME_LENGTH = 40
MAX_VALUE_LENGTH = 32
CACHE_KEY = "store:{store_id}:option_lists"
CACHE_SECONDS = 60


class OptionError(ValueError):
    """A list or value that cannot be used as asked; the message says why."""


@dataclass(frozen=True)
class StoreOption:
    """One option list as pages read it: its name, query-string slug and values in order."""

    id: int
    name: str
    slug: str
    values: tuple[str, ...]


def _read_store_options() -> tuple[StoreOption, ...]:
    lists = db.session.scalars(
        select(OptionList).options(selectinload(OptionList.values))
        .order_by(OptionList.position, OptionList.id)
    )
    return tuple(
        StoreOption(id=option.id, name=option.name, slug=option.slug,
                    values=tuple(value.value for value in option.values))
        for option in lists
    )


def store_options() -> tuple[StoreOption, ...]:
    """The current store's option lists in order, read once per request and cached."""
    store_id = tenancy.current_store_id()
    memos = g.setdefault("store_options", {})
    if store_id in memos:
        return memos[store_id]
    key = CACHE_KEY.format(store_id=store_id)
    found = cache.get(key)
    if not isinstance(found, tuple):
        found = _read_store_options()
        cache.put(key, found, CACHE_SECONDS)
    memos[store_id] = found
    return found


def option_slugs() -> tuple[str, ...]:
    """The query-string names of the current store's option lists."""
    return tuple(option.slug for option in store_options())


def forget_cached_options() -> None:
    """Drop the cached lists of the current store; call after committing a change to them."""
    g.pop("store_options", None)
    cache.delete(CACHE_KEY.format(store_id=tenancy.current_store_id()))


def slug_for(name: str) -> str:
    """The query-string name a list of this name gets ("Pack size" → "pack-size")."""
    return slugify(name, max_length=MAX_NAME_LENGTH, word_boundary=True)


def check_list_name(name: str) -> str:
    """A list name that can be saved, or OptionError saying what is wrong with it."""
    if not name:
        raise OptionError("Give the option a name, e.g. Size.")
    if len(name) > MAX_NAME_LENGTH:
        raise OptionError(f"An option name has at most {MAX_NAME_LENGTH} characters.")
    slug = slug_for(name)
    if not slug:
        raise OptionError("An option name needs at least one letter or digit.")
    if slug in RESERVED_SLUGS:
        raise OptionError(f"“{name}” is a word the catalog's addresses already use; "
                          "choose another name.")
    return slug


def check_value_text(value: str) -> str:
    """A value that can be saved, or OptionError saying what is wrong with it."""
    if not value:
        raise OptionError("Type the value, e.g. M.")
    if len(value) > MAX_VALUE_LENGTH:
        raise OptionError(f"A value has at most {MAX_VALUE_LENGTH} characters.")
    return value


def label_of(options: Iterable[VariantOption]) -> str:
    """A variant's values as shoppers read them, in the order of the store's lists."""
    ordered = sorted(options, key=lambda option: (option.value.option_list.position,
                                                   option.value.option_list.id))
    return " / ".join(option.value.value for option in ordered)


def set_variant_values(variant: Variant, value_ids: Mapping[int, int | None]) -> None:
    """Give a variant these values (option list id → value id; None clears that list).

    Lists not named keep their value. Raises OptionError for a value that is not one of its
    list's (or not the current store's). Not committed.
    """
    wanted = {list_id: value_id for list_id, value_id in value_ids.items() if value_id}
    values = {value.id: value for value in db.session.scalars(
        select(OptionValue).where(OptionValue.id.in_(wanted.values())))} if wanted else {}
    for list_id, value_id in wanted.items():
        value = values.get(value_id)
        if value is None or value.option_list_id != list_id:
            raise OptionError("That value is not one of the option's values any more.")
    by_list = {option.option_list_id: option for option in variant.options}
    for list_id, value_id in value_ids.items():
        current = by_list.get(list_id)
        if not value_id:
            if current is not None:
                variant.options.remove(current)
        elif current is not None:
            current.option_value_id, current.value = value_id, values[value_id]
        else:
            variant.options.append(VariantOption(
                option_list_id=list_id, option_value_id=value_id, value=values[value_id]))
    variant.option_label = label_of(variant.options)


def values_named(named: Mapping[str, str | None], create: bool = True) -> dict[int, int | None]:
    """Value ids for {list name: value text}, creating missing lists and values when `create`.

    For the demo seed, imports and scripts; staff pick values from the lists instead. A name
    matches a list by its slug, so "size" and "Size" are one list. Raises OptionError.
    """
    found: dict[int, int | None] = {}
    for name, text in named.items():
        slug = check_list_name(name.strip())
        option = db.session.scalar(select(OptionList).where(OptionList.slug == slug))
        if option is None:
            if not create:
                raise OptionError(f"There is no option called {name}.")
            last = db.session.scalar(select(func.max(OptionList.position)))
            option = OptionList(name=name.strip(), slug=slug,
                                position=0 if last is None else last + 1)
            db.session.add(option)
            db.session.flush()
        if not text:
            found[option.id] = None
            continue
        text = check_value_text(text.strip())
        value = next((v for v in option.values if v.value == text), None)
        if value is None:
            if not create:
                raise OptionError(f"{text} is not one of the values of {option.name}.")
            value = OptionValue(value=text, position=len(option.values))
            option.values.append(value)
            db.session.flush()
        found[option.id] = value.id
    return found


def set_named_values(variant: Variant, named: Mapping[str, str | None],
                     create: bool = True) -> None:
    """Give a variant values by list name and value text (see values_named). Not committed."""
    set_variant_values(variant, values_named(named, create=create))


def refresh_labels(list_ids: Iterable[int] | None = None) -> int:
    """Recompute the labels of the variants that have a value of these lists (None: all).

    Call after renaming a value or reordering lists. Not committed; returns how many changed.
    """
    query = select(Variant).where(Variant.options.any())
    ids = list(list_ids) if list_ids is not None else None
    if ids is not None:
        query = select(Variant).where(
            Variant.options.any(VariantOption.option_list_id.in_(ids)))
    changed = 0
    for variant in db.session.scalars(query):
        label = label_of(variant.options)
        if label != variant.option_label:
            variant.option_label = label
            changed += 1
    return changed


def variants_using_value(value_id: int) -> int:
    """How many variants have this value (a value in use cannot be deleted)."""
    return db.session.scalar(select(func.count()).select_from(VariantOption).where(
        VariantOption.option_value_id == value_id)) or 0


def variants_using_list(list_id: int) -> int:
    """How many variants have a value of this list."""
    return db.session.scalar(select(func.count()).select_from(VariantOption).where(
        VariantOption.option_list_id == list_id)) or 0
