"""Products in the catalog admin: the product form (its draft, checks and save), bulk archive,
and delete.

Every change writes an audit entry in the same transaction and refreshes the storefront's
listings after the commit. A product that was ever ordered is archived, never deleted, and a
variant that was ever ordered cannot be removed. Variants take their option values from the
store's option lists (admin/catalog/options), and no two variants of a product may have the
same values: a shopper could not tell them apart.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from shophub.admin.catalog.common import (
    CatalogAdminError,
    Invalid,
    check_length,
    clean,
    commit_and_refresh_listings,
    get_product,
    make_slug,
    parse_stock,
    unique_slug_error,
)
from shophub.admin.catalog.options import OptionChoice, option_choices
from shophub.admin.catalog.pictures import remove_picture_files
from shophub.admin.catalog.variants import parse_shown_stock, stock_to_store
from shophub.catalog.options import OptionError, set_variant_values
from shophub.core.money import AmountError, format_amount, parse_amount
from shophub.core.numbers import parse_row_id
from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models import (
    CartItem,
    Category,
    OrderItem,
    Product,
    ProductImage,
    Variant,
    WishlistItem,
)
from shophub.platform import audit, store_settings
from shophub.seo import meta as seo_meta

MAX_VARIANT_ROWS = 50
MAX_BULK_IDS = 500


# ---------------------------------------------------------------------------------------------
# Bulk archive


def parse_ids(values: Iterable[str]) -> list[int]:
    """Row ids from repeated form fields, bad ones and repeats left out, at most MAX_BULK_IDS."""
    ids: list[int] = []
    for value in values:
        number = parse_row_id(value)
        if number is not None and number not in ids:
            ids.append(number)
        if len(ids) >= MAX_BULK_IDS:
            break
    return ids


def set_archived(product_ids: list[int], archived: bool) -> int:
    """Archive or unarchive products; returns how many changed (each change audited)."""
    if not product_ids:
        raise CatalogAdminError("Select at least one product.")
    products = db.session.scalars(
        select(Product).where(Product.id.in_(product_ids), Product.archived.is_not(archived))
        .order_by(Product.id)
    ).all()
    action = "product.archived" if archived else "product.unarchived"
    for product in products:
        product.archived = archived
        audit.record(action, "product", product.id,
                     f"{product.name} {'archived' if archived else 'unarchived'} (bulk)",
                     before={"archived": not archived}, after={"archived": archived})
    commit_and_refresh_listings()
    return len(products)


# ---------------------------------------------------------------------------------------------
# The product form


@dataclass
class VariantDraft:
    """One variant row of the product form, as typed."""

    id: int | None = None
    sku: str = ""
    # The value picked for each option list, as sent: list id -> value id ("" for none).
    options: dict[int, str] = field(default_factory=dict)
    price: str = ""
    stock: str = ""
    stock_shown: str = ""
    remove: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        """A new row left empty (ignored on save)."""
        return self.id is None and not any(
            (self.sku, self.price, self.stock, *self.options.values()))


@dataclass
class ProductDraft:
    """The product form as typed: product fields, variant rows and their errors."""

    name: str = ""
    slug: str = ""
    description: str = ""
    meta_title: str = ""
    meta_description: str = ""
    category_id: str = ""
    featured: bool = False
    archived: bool = False
    variants: list[VariantDraft] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def add_row(self) -> None:
        """Append an empty variant row (up to MAX_VARIANT_ROWS)."""
        if len(self.variants) >= MAX_VARIANT_ROWS:
            self.errors["variants"] = f"A product can have at most {MAX_VARIANT_ROWS} variants."
            return
        self.variants.append(VariantDraft())


def draft_of(product: Product | None, currency: str) -> ProductDraft:
    """The product form filled from a stored product (or empty, with one variant row)."""
    if product is None:
        return ProductDraft(variants=[VariantDraft()])
    return ProductDraft(
        name=product.name, slug=product.slug, description=product.description or "",
        meta_title=product.meta_title or "", meta_description=product.meta_description or "",
        category_id=str(product.category_id or ""), featured=product.featured,
        archived=product.archived,
        variants=[VariantDraft(id=v.id, sku=v.sku,
                               options={o.option_list_id: str(o.option_value_id)
                                        for o in v.options},
                               price=format_amount(v.price_cents, currency).replace(",", ""),
                               stock=str(v.stock), stock_shown=str(v.stock))
                  for v in product.variants],
    )


def _snapshot(product: Product, currency: str) -> dict:
    values = {
        "name": product.name, "slug": product.slug, "category_id": product.category_id,
        "featured": bool(product.featured), "archived": bool(product.archived),
        "description": (product.description or "")[:200],
        "meta_title": product.meta_title, "meta_description": product.meta_description,
    }
    for v in product.variants:
        values[f"variant {v.sku}"] = (f"{v.option_label or '-'}, "
                                      f"{format_amount(v.price_cents, currency)}, stock {v.stock}")
    return values


def _check_product_fields(draft: ProductDraft, product: Product | None) -> dict:
    errors: dict[str, str] = {}
    draft.name = clean(draft.name, 200)
    draft.slug = clean(draft.slug, 220)
    draft.description = clean(draft.description, 20_000, multiline=True)
    check_length(errors, "name", draft.name, 200, "name", required=True)
    check_length(errors, "description", draft.description, 20_000, "description")
    draft.meta_title = clean(draft.meta_title, seo_meta.TITLE_MAX)
    draft.meta_description = clean(draft.meta_description, seo_meta.DESCRIPTION_MAX)
    check_length(errors, "meta_title", draft.meta_title, seo_meta.TITLE_MAX, "search title")
    check_length(errors, "meta_description", draft.meta_description, seo_meta.DESCRIPTION_MAX,
                 "search description")
    slug = make_slug(draft.slug, draft.name, 200)
    if not slug and "name" not in errors:
        errors["slug"] = "The slug needs at least one letter or digit."
    elif slug:
        draft.slug = slug
        clash = unique_slug_error(Product, slug, product.id if product else None, "product")
        if clash:
            errors["slug"] = clash
    if draft.category_id:
        category_id = parse_row_id(draft.category_id)
        if category_id is None or db.session.get(Category, category_id) is None:
            errors["category_id"] = "That category does not exist."
    return errors


def _picked_values(row: VariantDraft, choices: dict[int, OptionChoice]) -> dict[int, int | None]:
    """The row's values (list id -> value id or None); errors go on the row."""
    picked: dict[int, int | None] = {}
    for list_id, text in row.options.items():
        choice = choices.get(list_id)
        if choice is None:
            row.errors.setdefault("options", "One of these options is no longer one of the "
                                             "shop's; reload the form and choose again.")
            continue
        value_id = parse_row_id(text) if text else None
        if text and value_id not in dict(choice.values):
            row.errors[f"option-{list_id}"] = f"Choose one of the values of {choice.name}."
            continue
        picked[list_id] = value_id
    return picked


def _combination(variant: Variant | None, picked: dict[int, int | None]) -> frozenset:
    """A variant's (list id, value id) pairs once the form's picks replace its stored ones."""
    values = {o.option_list_id: o.option_value_id for o in variant.options} if variant else {}
    values.update(picked)
    return frozenset((list_id, value_id) for list_id, value_id in values.items() if value_id)


def _combination_label(combination: frozenset, choices: dict[int, OptionChoice]) -> str:
    texts = []
    for list_id, choice in choices.items():  # in the store's order of lists
        for picked_list, value_id in combination:
            if picked_list == list_id:
                texts.append(dict(choice.values).get(value_id, "?"))
    return " / ".join(texts)


def _check_combinations(draft: ProductDraft, checked: list[tuple[VariantDraft, dict]],
                        stored: dict[int, Variant], choices: dict[int, OptionChoice]) -> None:
    """Refuse a row whose values another variant of the product has too."""
    named = {row.id for row in draft.variants if row.id is not None}
    seen = {_combination(variant, {}) for variant_id, variant in stored.items()
            if variant_id not in named}
    for row, values in checked:
        if any(key.startswith("option") for key in row.errors):
            continue
        combination = _combination(stored.get(row.id) if row.id else None, values["options"])
        if combination in seen:
            label = _combination_label(combination, choices)
            row.errors["options"] = (
                f"Another variant of this product is {label} too; shoppers could not tell "
                "them apart." if label else "Another variant of this product has no options "
                "either; give each one its own values so that shoppers can tell them apart.")
        seen.add(combination)


def _check_variant_rows(draft: ProductDraft, currency: str, stored: dict[int, Variant],
                        choices: dict[int, OptionChoice]) -> list[tuple[VariantDraft, dict]]:
    """Check each kept row; returns (row, values) pairs. Errors go on the rows."""
    checked: list[tuple[VariantDraft, dict]] = []
    seen_skus: dict[str, int] = {}
    for row in draft.variants:
        row.errors = {}
        if row.id is not None and row.id not in stored:
            row.errors["sku"] = "This variant does not belong to the product any more."
            continue
        if row.remove or row.is_blank:
            continue
        values: dict = {"sku": clean(row.sku, 64), "options": _picked_values(row, choices)}
        row.sku = values["sku"]
        check_length(row.errors, "sku", values["sku"], 64, "SKU", required=True)
        try:
            values["price_cents"] = parse_amount(row.price, currency)
        except AmountError as error:
            row.errors["price"] = str(error)
        try:
            typed = parse_stock(row.stock)
            current = stored[row.id].stock if row.id is not None else typed
            values["stock"] = stock_to_store(current, typed, parse_shown_stock(row.stock_shown)
                                             if row.id is not None else None)
        except AmountError as error:
            row.errors["stock"] = str(error)
        key = values["sku"].lower()
        if key and key in seen_skus:
            row.errors.setdefault("sku", f"SKU “{values['sku']}” is used by another row "
                                         "of this form.")
        seen_skus.setdefault(key, row.id or 0)
        checked.append((row, values))
    _check_combinations(draft, checked, stored, choices)
    skus = [values["sku"].lower() for row, values in checked if values["sku"]]
    if skus:
        taken = db.session.execute(
            select(Variant.id, Variant.sku, Variant.product_id)
            .where(func.lower(Variant.sku).in_(skus))
        ).all()
        own_ids = set(stored)
        for row, values in checked:
            for variant_id, sku, _product_id in taken:
                if sku.lower() != values["sku"].lower() or variant_id == row.id:
                    continue
                # A SKU of this product that this form renames or removes is free again.
                if variant_id in own_ids and _freed(draft, variant_id, sku):
                    continue
                row.errors.setdefault("sku", f"SKU “{sku}” is already used by another "
                                             "variant; SKUs must be unique.")
    return checked


def _freed(draft: ProductDraft, variant_id: int, sku: str) -> bool:
    for row in draft.variants:
        if row.id == variant_id:
            return row.remove or clean(row.sku, 64).lower() != sku.lower()
    return False


def _ordered_variant_ids(variant_ids: Iterable[int]) -> set[int]:
    ids = list(variant_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(OrderItem.variant_id).where(OrderItem.variant_id.in_(ids)).distinct()))


def save_product(product: Product | None, draft: ProductDraft, currency: str) -> Product:
    """Create or update a product and its variants from the form; Invalid saves nothing."""
    # Errors are also left on `draft` (field errors and each row's errors) for the form.
    stored: dict[int, Variant] = {}
    if product is not None:
        stored = {v.id: v for v in db.session.scalars(
            select(Variant).where(Variant.product_id == product.id).with_for_update())}
    draft.errors = _check_product_fields(draft, product)
    if len(draft.variants) > MAX_VARIANT_ROWS:
        draft.errors["variants"] = f"A product can have at most {MAX_VARIANT_ROWS} variants."
    choices = {choice.id: choice for choice in option_choices()}
    checked = _check_variant_rows(draft, currency, stored, choices)
    if not checked and "variants" not in draft.errors:
        draft.errors["variants"] = "A product needs at least one variant."
    removed = [row.id for row in draft.variants if row.remove and row.id in stored]
    for variant_id in _ordered_variant_ids(removed):
        row = next(r for r in draft.variants if r.id == variant_id)
        row.errors["remove"] = ("This variant has been ordered, so it cannot be removed; "
                                "set its stock to 0 instead.")
    if draft.errors or any(row.errors for row in draft.variants):
        db.session.rollback()
        raise Invalid(draft.errors or {"variants": "Check the variants marked below."})

    before = _snapshot(product, currency) if product is not None else None
    creating = product is None
    if creating:
        product = Product()
        db.session.add(product)
    product.name, product.slug = draft.name, draft.slug
    product.description = draft.description
    product.meta_title = draft.meta_title or None
    product.meta_description = draft.meta_description or None
    product.category_id = parse_row_id(draft.category_id) if draft.category_id else None
    product.featured, product.archived = draft.featured, draft.archived
    if removed:
        db.session.execute(delete(CartItem).where(CartItem.variant_id.in_(removed)))
        for variant_id in removed:
            product.variants.remove(stored[variant_id])
        db.session.flush()
    for position, (row, values) in enumerate(checked):
        variant = stored[row.id] if row.id is not None else Variant()
        for name, value in values.items():
            if name != "options":
                setattr(variant, name, value)
        variant.position = position
        if row.id is None:
            product.variants.append(variant)
        try:
            set_variant_values(variant, values["options"])
        except OptionError as error:
            # A value deleted since the checks above: nothing is saved.
            db.session.rollback()
            row.errors["options"] = f"{error} Reload the form and choose again."
            raise Invalid({"variants": "Check the variants marked below."}) from None
    db.session.flush()
    after = _snapshot(product, currency)
    if audit.record_save("product", product.id, product.name, None if creating else before,
                         after) and not creating:
        product.updated_at = utcnow()
    try:
        commit_and_refresh_listings()
    except IntegrityError:
        db.session.rollback()
        draft.errors["form"] = ("Another change took that slug or one of these SKUs a moment "
                                "ago; check them and save again.")
        raise Invalid(draft.errors) from None
    return product


# ---------------------------------------------------------------------------------------------
# Delete (or archive)


@dataclass(frozen=True)
class DeleteOutcome:
    """What deleting a product did: deleted, or archived because it was ordered."""

    message: str
    deleted: bool


def delete_product(product_id: int) -> DeleteOutcome:
    """Delete a product that was never ordered; archive one that was, and say so."""
    product = get_product(product_id)
    variant_ids = [v.id for v in product.variants]
    if _ordered_variant_ids(variant_ids):
        if product.archived:
            return DeleteOutcome(f"{product.name} has been ordered, so it is kept; it is "
                                 "already archived.", deleted=False)
        product.archived = True
        audit.record("product.archived", "product", product.id,
                     f"{product.name} archived instead of deleted: it has been ordered",
                     before={"archived": False}, after={"archived": True})
        commit_and_refresh_listings()
        return DeleteOutcome(f"{product.name} has been ordered, so it was archived instead "
                             "of deleted. Its order history stays intact.", deleted=False)
    files = [image.file for image in product.images]
    name = product.name
    before = _snapshot(product, store_settings.currency())
    if variant_ids:
        db.session.execute(delete(CartItem).where(CartItem.variant_id.in_(variant_ids)))
    db.session.execute(delete(WishlistItem).where(WishlistItem.product_id == product.id))
    audit.record("product.deleted", "product", product.id, f"{name} deleted", before=before)
    db.session.delete(product)
    commit_and_refresh_listings()
    for file in files:
        remove_picture_files(file, ProductImage.file)
    return DeleteOutcome(f"{name} was deleted.", deleted=True)
