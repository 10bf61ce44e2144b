"""Option lists in the catalog admin: the store's lists with their values and how many variants
use each, and creating, renaming, reordering and deleting lists and values.

What a name or a value may be is shophub.catalog.options'; this module adds what staff meet
on the page: a name or value used twice, a value or list still in use, the limits. Every change
is audited, relabels the variants it affects, and refreshes the storefront's cached listings
and the store's cached lists.

A list's slug is its query-string name (`?size=M`). It follows the name while no variant uses
the list; once variants use it, a rename keeps the slug, so that shoppers' links keep working.
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from shophub.admin.catalog.common import (
    CatalogAdminError,
    NotFound,
    clean,
    commit_and_refresh_listings,
)
from shophub.catalog import options as domain
from shophub.extensions import db
from shophub.models import OptionList, OptionValue, VariantOption
from shophub.platform import audit

MAX_LISTS = 10
MAX_VALUES = 100
DIRECTIONS = ("up", "down")


class OptionRefused(CatalogAdminError):
    """A change to the lists that cannot be made; `field` names the form field it is about
    and `typed` keeps what was typed there, so the page can show both."""

    def __init__(self, message: str, field: str = "", typed: str = "") -> None:
        super().__init__(message)
        self.field, self.typed = field, typed


@dataclass(frozen=True)
class ValueRow:
    """A value of a list with how many variants have it."""

    id: int
    value: str
    variant_count: int


@dataclass(frozen=True)
class ListRow:
    """An option list with its values in order and how many variants use it."""

    id: int
    name: str
    slug: str
    variant_count: int
    values: tuple[ValueRow, ...]


@dataclass(frozen=True)
class OptionChoice:
    """An option list as the product form offers it: (value id, value) pairs in order."""

    id: int
    name: str
    values: tuple[tuple[int, str], ...]


def _ordered_lists() -> list[OptionList]:
    return list(db.session.scalars(
        select(OptionList).order_by(OptionList.position, OptionList.id)).unique())


def list_option_lists() -> list[ListRow]:
    """The store's lists in order, with their values and use counts (three statements)."""
    by_value = dict(db.session.execute(
        select(VariantOption.option_value_id, func.count())
        .group_by(VariantOption.option_value_id)).all())
    by_list = dict(db.session.execute(
        select(VariantOption.option_list_id, func.count())
        .group_by(VariantOption.option_list_id)).all())
    lists = db.session.scalars(select(OptionList).order_by(OptionList.position, OptionList.id)
                               .options(selectinload(OptionList.values))).unique()
    return [ListRow(id=option.id, name=option.name, slug=option.slug,
                    variant_count=by_list.get(option.id, 0),
                    values=tuple(ValueRow(value.id, value.value, by_value.get(value.id, 0))
                                 for value in option.values))
            for option in lists]


def option_choices() -> list[OptionChoice]:
    """The store's lists with their values' ids, in order, for the product form's selects."""
    lists = db.session.scalars(select(OptionList).order_by(OptionList.position, OptionList.id)
                               .options(selectinload(OptionList.values))).unique()
    return [OptionChoice(option.id, option.name,
                         tuple((value.id, value.value) for value in option.values))
            for option in lists]


def get_list(list_id: int) -> OptionList:
    """An option list of the store, or NotFound."""
    option = db.session.get(OptionList, list_id)
    if option is None:
        raise NotFound("That option does not exist.")
    return option


def get_value(value_id: int) -> OptionValue:
    """A value of one of the store's lists, or NotFound."""
    value = db.session.get(OptionValue, value_id)
    if value is None:
        raise NotFound("That value does not exist.")
    return value


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _checked_name(name, field: str, own: OptionList | None = None) -> tuple[str, str]:
    """(name, slug) for a list called `name`, or OptionRefused."""
    typed = clean(name, domain.MAX_NAME_LENGTH)
    try:
        slug = domain.check_list_name(typed)
    except domain.OptionError as error:
        raise OptionRefused(str(error), field, typed) from None
    for other in _ordered_lists():
        if own is not None and other.id == own.id:
            continue
        if other.name.lower() == typed.lower():
            raise OptionRefused(f"There is already an option called “{other.name}”.", field,
                                typed)
        if other.slug == slug:
            raise OptionRefused(f"“{typed}” would share the address name “{slug}” with the "
                                f"option “{other.name}”; choose another name.", field, typed)
    return typed, slug


def _commit(field: str, typed: str) -> None:
    try:
        commit_and_refresh_listings()
    except IntegrityError:
        db.session.rollback()
        raise OptionRefused("Someone else changed the options a moment ago; check them and "
                            "try again.", field, typed) from None
    domain.forget_cached_options()


def create_list(name) -> str:
    """Add an option list at the end of the store's lists; returns what was done."""
    lists = _ordered_lists()
    if len(lists) >= MAX_LISTS:
        raise OptionRefused(f"A store can have at most {MAX_LISTS} options.", "new-list",
                            clean(name, domain.MAX_NAME_LENGTH))
    name, slug = _checked_name(name, "new-list")
    position = max((option.position for option in lists), default=-1) + 1
    option = OptionList(name=name, slug=slug, position=position)
    db.session.add(option)
    db.session.flush()
    audit.record("option_list.created", "option_list", option.id, f"Option {name} created",
                 after={"name": name, "slug": slug, "position": position})
    _commit("new-list", name)
    return f"Option {name} added; add its values below."


def rename_list(list_id: int, name) -> str:
    """Rename a list; its slug follows only while no variant uses it."""
    option = get_list(list_id)
    field = f"list-{option.id}-name"
    name, slug = _checked_name(name, field, own=option)
    if domain.variants_using_list(option.id):
        slug = option.slug
    before = {"name": option.name, "slug": option.slug}
    if before == {"name": name, "slug": slug}:
        return f"{name}: no change."
    option.name, option.slug = name, slug
    audit.record("option_list.updated", "option_list", option.id,
                 f"Option {before['name']} renamed {name}", before=before,
                 after={"name": name, "slug": slug})
    _commit(field, name)
    kept = f" Its address name stays “{slug}”." if slug != domain.slug_for(name) else ""
    return f"Option {before['name']} is now called {name}.{kept}"


def _swap(items: list, item, direction: str) -> bool:
    """Move `item` one place in `items` and renumber their positions; False at an end."""
    if direction not in DIRECTIONS:
        raise OptionRefused("Move it up or down.")
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(items):
        return False
    items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items):
        each.position = position
    return True


def move_list(list_id: int, direction: str) -> str:
    """Move a list one place up or down; variants' labels follow the new order."""
    option = get_list(list_id)
    lists = _ordered_lists()
    before = [each.name for each in lists]
    if not _swap(lists, option, direction):
        return f"{option.name} is already {'first' if direction == 'up' else 'last'}."
    db.session.flush()
    relabelled = domain.refresh_labels([each.id for each in lists])
    audit.record("option_list.reordered", "option_list", option.id,
                 f"Option {option.name} moved {direction}; {_plural(relabelled, 'variant')} "
                 "relabelled", before={"order": before},
                 after={"order": [each.name for each in lists]})
    _commit("", "")
    return f"{option.name} moved {direction}."


def delete_list(list_id: int) -> str:
    """Delete a list and its values; refused while any variant uses it."""
    option = get_list(list_id)
    used = domain.variants_using_list(option.id)
    if used:
        raise OptionRefused(f"{option.name} cannot be deleted: {_plural(used, 'variant')} "
                            f"{'use' if used != 1 else 'uses'} it. Set "
                            f"{'their' if used != 1 else 'its'} {option.name} to “—” on the "
                            "product form first.")
    name = option.name
    audit.record("option_list.deleted", "option_list", option.id, f"Option {name} deleted",
                 before={"name": name, "slug": option.slug,
                         "values": [value.value for value in option.values]})
    db.session.delete(option)
    _commit("", "")
    return f"Option {name} was deleted."


def _checked_value(option: OptionList, text, field: str,
                   own: OptionValue | None = None) -> str:
    typed = clean(text, domain.MAX_VALUE_LENGTH)
    try:
        value = domain.check_value_text(typed)
    except domain.OptionError as error:
        raise OptionRefused(str(error), field, typed) from None
    for other in option.values:
        # Values that differ only in case look the same to shoppers.
        if other is not own and other.value.lower() == value.lower():
            raise OptionRefused(f"{option.name} already has the value “{other.value}”.", field,
                                typed)
    return value


def add_value(list_id: int, text) -> str:
    """Add a value at the end of a list."""
    option = get_list(list_id)
    field = f"list-{option.id}-value"
    if len(option.values) >= MAX_VALUES:
        raise OptionRefused(f"An option can have at most {MAX_VALUES} values.", field,
                            clean(text, domain.MAX_VALUE_LENGTH))
    value = _checked_value(option, text, field)
    position = max((each.position for each in option.values), default=-1) + 1
    row = OptionValue(value=value, position=position)
    option.values.append(row)
    db.session.flush()
    audit.record("option_value.created", "option_value", row.id,
                 f"{option.name} value {value} added",
                 after={"option": option.name, "value": value, "position": position})
    _commit(field, value)
    return f"{value} added to {option.name}."


def rename_value(value_id: int, text) -> str:
    """Change a value's text; the labels of the variants that have it follow."""
    row = get_value(value_id)
    option = row.option_list
    field = f"value-{row.id}"
    value = _checked_value(option, text, field, own=row)
    if value == row.value:
        return f"{value}: no change."
    old = row.value
    row.value = value
    db.session.flush()
    relabelled = domain.refresh_labels([option.id])
    audit.record("option_value.updated", "option_value", row.id,
                 f"{option.name} value {old} renamed {value}; "
                 f"{_plural(relabelled, 'variant')} relabelled",
                 before={"option": option.name, "value": old},
                 after={"option": option.name, "value": value})
    _commit(field, value)
    done = f"; {_plural(relabelled, 'variant')} relabelled" if relabelled else ""
    return f"{option.name} {old} is now {value}{done}."


def move_value(value_id: int, direction: str) -> str:
    """Move a value one place up or down its list (the order shoppers see them in)."""
    row = get_value(value_id)
    option = row.option_list
    values = list(option.values)
    before = [each.value for each in values]
    if not _swap(values, row, direction):
        return f"{row.value} is already {'first' if direction == 'up' else 'last'}."
    audit.record("option_value.reordered", "option_value", row.id,
                 f"{option.name} value {row.value} moved {direction}",
                 before={"order": before}, after={"order": [each.value for each in values]})
    _commit("", "")
    return f"{row.value} moved {direction}."


def delete_value(value_id: int) -> str:
    """Delete a value; refused while any variant has it."""
    row = get_value(value_id)
    option = row.option_list
    used = domain.variants_using_value(row.id)
    if used:
        raise OptionRefused(f"{option.name} {row.value} cannot be deleted: "
                            f"{_plural(used, 'variant')} {'have' if used != 1 else 'has'} it. "
                            "Choose another value for them on the product form first.")
    audit.record("option_value.deleted", "option_value", row.id,
                 f"{option.name} value {row.value} deleted",
                 before={"option": option.name, "value": row.value})
    name, value = option.name, row.value
    option.values.remove(row)
    _commit("", "")
    return f"{value} was removed from {name}."
