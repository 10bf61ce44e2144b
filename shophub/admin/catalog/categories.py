"""Categories in the catalog admin: the list with product counts, the choices for the product
form and table, and create, edit and delete.

A category that holds products (archived ones too) cannot be deleted.
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from shophub.admin.catalog.common import (
    CatalogAdminError,
    Invalid,
    NotFound,
    check_length,
    clean,
    commit_and_refresh_listings,
    make_slug,
    parse_position,
    unique_slug_error,
)
from shophub.core.money import AmountError
from shophub.extensions import db
from shophub.models import Category, Product
from shophub.platform import audit
from shophub.seo import meta as seo_meta


@dataclass(frozen=True)
class CategoryRow:
    """A category with how many products it holds."""

    id: int
    name: str
    slug: str
    position: int
    product_count: int


def list_categories() -> list[CategoryRow]:
    """Every category with its product count, in shelf order (one statement)."""
    counts = (select(Product.category_id, func.count(Product.id).label("n"))
              .group_by(Product.category_id).subquery())
    query = (select(Category.id, Category.name, Category.slug, Category.position,
                    func.coalesce(counts.c.n, 0))
             .outerjoin(counts, counts.c.category_id == Category.id)
             .order_by(Category.position, Category.name, Category.id))
    return [CategoryRow(*row) for row in db.session.execute(query)]


def category_choices() -> list[tuple[int, str]]:
    """(id, name) of every category, in shelf order."""
    return [(row.id, row.name) for row in db.session.execute(
        select(Category.id, Category.name).order_by(Category.position, Category.name, Category.id)
    )]


def get_category(category_id: int) -> Category:
    """A category, or NotFound."""
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("That category does not exist.")
    return category


def _category_snapshot(category: Category) -> dict:
    return {"name": category.name, "slug": category.slug, "position": category.position,
            "description": (category.description or "")[:200],
            "meta_title": category.meta_title, "meta_description": category.meta_description}


def save_category(category: Category | None, name, slug, description, position,
                  meta_title="", meta_description="") -> Category:
    """Create or update a category; Invalid saves nothing."""
    errors: dict[str, str] = {}
    name, description = clean(name, 120), clean(description, 5000, multiline=True)
    meta_title = clean(meta_title, seo_meta.TITLE_MAX)
    meta_description = clean(meta_description, seo_meta.DESCRIPTION_MAX)
    check_length(errors, "meta_title", meta_title, seo_meta.TITLE_MAX, "search title")
    check_length(errors, "meta_description", meta_description, seo_meta.DESCRIPTION_MAX,
                 "search description")
    check_length(errors, "name", name, 120, "name", required=True)
    check_length(errors, "description", description, 5000, "description")
    slug = make_slug(clean(slug, 140), name, 140)
    if not slug:
        errors.setdefault("slug", "The slug needs at least one letter or digit.")
    else:
        clash = unique_slug_error(Category, slug, category.id if category else None, "category")
        if clash:
            errors["slug"] = clash
    try:
        position_value = parse_position(position)
    except AmountError as error:
        errors["position"] = str(error)
    if errors:
        raise Invalid(errors)
    before = _category_snapshot(category) if category is not None else None
    if category is None:
        category = Category()
        db.session.add(category)
    category.name, category.slug, category.description = name, slug, description
    category.position = position_value
    category.meta_title, category.meta_description = meta_title or None, meta_description or None
    db.session.flush()
    after = _category_snapshot(category)
    audit.record_save("category", category.id, f"Category {name}", before, after)
    try:
        commit_and_refresh_listings()
    except IntegrityError:
        db.session.rollback()
        raise Invalid({"slug": "Another category took that slug a moment ago."}) from None
    return category


def delete_category(category_id: int) -> str:
    """Delete an empty category; one that holds products is refused with a message."""
    category = get_category(category_id)
    count = db.session.scalar(select(func.count(Product.id))
                              .where(Product.category_id == category.id))
    if count:
        raise CatalogAdminError(
            f"{category.name} holds {count} product{'s' if count != 1 else ''}; move "
            f"{'them' if count != 1 else 'it'} to another category first (archived "
            "products count too).")
    audit.record("category.deleted", "category", category.id, f"Category {category.name} "
                 "deleted", before=_category_snapshot(category))
    name = category.name
    db.session.delete(category)
    commit_and_refresh_listings()
    return f"Category {name} was deleted."
