"""Reading the catalog admin's forms into the drafts that its services check and save.

The product form has repeated variant rows named `variants-<n>-<field>`; rows keep the order
of their numbers. A row's option values are `variants-<n>-option-<option list id>`. Nothing
here decides what is valid: that is the service's job.
"""

import re
from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from shophub.admin.catalog.banners import BannerDraft
from shophub.admin.catalog.products import MAX_VARIANT_ROWS, ProductDraft, VariantDraft
from shophub.core.numbers import parse_row_id

ROW_FIELD = re.compile(
    r"^variants-(\d{1,3})-(id|sku|price|stock|stock_shown|remove|option-\d{1,9})$")
CHECKED = ("1", "y", "yes", "on", "true")
VARIANT_FIELDS = ("sku", "price", "stock", "stock_shown")
# More option fields than any store has lists are left out.
MAX_ROW_OPTIONS = 20


def checked(form: Mapping[str, str], name: str) -> bool:
    """Whether a checkbox was ticked."""
    return (form.get(name) or "").strip().lower() in CHECKED


def variant_rows(form: MultiDict) -> list[VariantDraft]:
    """The variant rows of the product form, in the order of their numbers."""
    rows: dict[int, dict[str, str]] = {}
    for key in form:
        match = ROW_FIELD.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = form.get(key, "")
    drafts = []
    for number in sorted(rows)[: MAX_VARIANT_ROWS + 1]:
        values = rows[number]
        options = {int(name.removeprefix("option-")): str(value or "").strip()[:12]
                   for name, value in values.items() if name.startswith("option-")}
        drafts.append(VariantDraft(
            id=parse_row_id(values.get("id")) if values.get("id") else None,
            remove=(values.get("remove") or "").strip().lower() in CHECKED,
            options=dict(list(options.items())[:MAX_ROW_OPTIONS]),
            **{name: str(values.get(name) or "")[:200] for name in VARIANT_FIELDS},
        ))
    return drafts


def product_draft(form: MultiDict) -> ProductDraft:
    """The product form as typed."""
    return ProductDraft(
        name=form.get("name", ""), slug=form.get("slug", ""),
        description=form.get("description", "")[:100_000],
        meta_title=form.get("meta_title", "")[:1000],
        meta_description=form.get("meta_description", "")[:1000],
        category_id=(form.get("category_id") or "").strip()[:12],
        featured=checked(form, "featured"), archived=checked(form, "archived"),
        variants=variant_rows(form),
    )


def wants_new_row(form: Mapping[str, str]) -> bool:
    """Whether the "Add variant" button sent the form (re-render with one more row)."""
    return form.get("action") == "add_variant"


def banner_draft(form: MultiDict) -> BannerDraft:
    """The billboard form as typed."""
    return BannerDraft(
        title=form.get("title", ""), text=form.get("text", "")[:20_000],
        link_url=form.get("link_url", ""), link_label=form.get("link_label", ""),
        image_alt=form.get("image_alt", ""), active=checked(form, "active"),
        position=form.get("position", "0"), remove_image=checked(form, "remove_image"),
        category_id=(form.get("category_id") or "").strip()[:12],
        featured=checked(form, "featured"),
    )


def banner_draft_of(banner) -> BannerDraft:
    """The billboard form filled from a stored billboard (or the defaults for a new one)."""
    if banner is None:
        return BannerDraft()
    return BannerDraft(title=banner.title, text=banner.text or "", link_url=banner.link_url or "",
                       link_label=banner.link_label or "", image_alt=banner.image_alt or "",
                       active=banner.active, position=str(banner.position),
                       category_id=str(banner.category_id or ""), featured=banner.featured)


def category_values(form: Mapping[str, str]) -> dict[str, str]:
    """The category form as typed."""
    return {name: str(form.get(name, ""))[:20_000]
            for name in ("name", "slug", "description", "position", "meta_title",
                         "meta_description")}


def category_values_of(category) -> dict[str, str]:
    """The category form filled from a stored category (or empty for a new one)."""
    if category is None:
        return {"name": "", "slug": "", "description": "", "position": "0", "meta_title": "",
                "meta_description": ""}
    return {"name": category.name, "slug": category.slug,
            "description": category.description or "", "position": str(category.position),
            "meta_title": category.meta_title or "",
            "meta_description": category.meta_description or ""}
