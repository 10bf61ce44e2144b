"""Billboards in the catalog admin: the list, create and edit (with an optional picture, link
and category, featured on the home page or not), and delete.

A billboard shows on its category's page, and on the home page when featured. Its picture is
read, checked and stored like a product's (`pictures`); its link is a path on this shop or an
http(s) address.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from slugify import slugify
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from shophub.admin.catalog.common import (
    CatalogAdminError,
    Invalid,
    NotFound,
    check_length,
    clean,
    commit_and_refresh_listings,
    parse_position,
)
from shophub.admin.catalog.pictures import read_picture, remove_picture_files, store_picture
from shophub.core.money import AmountError
from shophub.core.numbers import parse_row_id
from shophub.extensions import db
from shophub.models import Banner, Category
from shophub.platform import audit


def check_link_url(text) -> str:
    """A billboard link: a path on this site ('/products') or an http(s) URL; Invalid otherwise."""
    url = clean(text, 500)
    if not url:
        return ""
    bad = Invalid({"link_url": "Use a path on this shop that starts with / (like /products) "
                               "or a full http:// or https:// address."})
    if len(url) > 500:
        raise Invalid({"link_url": "The link can be at most 500 characters."})
    if any(ch.isspace() or ord(ch) < 32 for ch in url) or "\\" in url:
        raise bad
    parts = urlsplit(url)
    if url.startswith("/"):
        if url.startswith("//") or parts.scheme or parts.netloc:
            raise bad
        return url
    if parts.scheme.lower() in ("http", "https") and parts.netloc and "@" not in parts.netloc:
        return url
    raise bad


@dataclass
class BannerDraft:
    """The billboard form as typed."""

    title: str = ""
    text: str = ""
    link_url: str = ""
    link_label: str = ""
    image_alt: str = ""
    active: bool = True
    position: str = "0"
    remove_image: bool = False
    category_id: str = ""
    # A new billboard goes on the home page unless staff say otherwise, as every one did
    # before billboards had categories.
    featured: bool = True


def list_banners() -> list[Banner]:
    """Every billboard in display order, with its category loaded."""
    return list(db.session.scalars(
        select(Banner).options(joinedload(Banner.category)).order_by(Banner.position, Banner.id)
    ))


def get_banner(banner_id: int) -> Banner:
    """A billboard, or NotFound."""
    banner = db.session.get(Banner, banner_id)
    if banner is None:
        raise NotFound("That billboard does not exist.")
    return banner


def _banner_snapshot(banner: Banner) -> dict:
    return {"title": banner.title, "text": (banner.text or "")[:200], "link_url": banner.link_url,
            "link_label": banner.link_label, "active": bool(banner.active),
            "position": banner.position, "image": banner.image, "image_alt": banner.image_alt,
            "category_id": banner.category_id, "featured": bool(banner.featured)}


def _store_category_id(text: str) -> int | None:
    """The id of one of this store's categories, None for none; Invalid otherwise."""
    if not text:
        return None
    category_id = parse_row_id(text)
    # A query rather than session.get: it is scoped to the current store, so another store's
    # category is as unknown here as one that never existed.
    if category_id is None or db.session.scalar(
            select(Category.id).where(Category.id == category_id)) is None:
        raise Invalid({"category_id": "That category does not exist in this shop. Choose one "
                                      "from the list, or none."})
    return category_id


def save_banner(banner: Banner | None, draft: BannerDraft, upload=None) -> Banner:
    """Create or update a billboard, with an optional new picture; Invalid saves nothing."""
    errors: dict[str, str] = {}
    title, text = clean(draft.title, 160), clean(draft.text, 2000, multiline=True)
    label, alt = clean(draft.link_label, 80), clean(draft.image_alt, 255)
    check_length(errors, "title", title, 160, "title", required=True)
    check_length(errors, "text", text, 2000, "text")
    check_length(errors, "link_label", label, 80, "link label")
    check_length(errors, "image_alt", alt, 255, "alt text")
    link = ""
    try:
        link = check_link_url(draft.link_url)
    except Invalid as error:
        errors.update(error.errors)
    if label and not link:
        errors.setdefault("link_url", "Give the link an address, or leave its label empty.")
    try:
        position = parse_position(draft.position)
    except AmountError as error:
        errors["position"] = str(error)
    category_id = None
    try:
        category_id = _store_category_id(draft.category_id)
    except Invalid as error:
        errors.update(error.errors)
    image = None
    if upload is not None and getattr(upload, "filename", ""):
        try:
            image = read_picture(upload)
        except CatalogAdminError as error:
            errors["image"] = str(error)
    if errors:
        raise Invalid(errors)
    # Stored before the session changes: a storage failure (Invalid) leaves nothing pending.
    new_file = store_picture(image, "banners", slugify(title, max_length=60) or "banner") \
        if image is not None else None
    before = _banner_snapshot(banner) if banner is not None else None
    if banner is None:
        banner = Banner()
        db.session.add(banner)
    old_image = banner.image
    if new_file:
        banner.image = new_file
    elif draft.remove_image:
        banner.image = None
    banner.title, banner.text, banner.link_url, banner.link_label = title, text, link, label
    banner.image_alt, banner.active, banner.position = alt, draft.active, position
    banner.category_id, banner.featured = category_id, draft.featured
    db.session.flush()
    after = _banner_snapshot(banner)
    audit.record_save("banner", banner.id, f"Billboard “{title}”", before, after)
    try:
        commit_and_refresh_listings()
    except Exception:
        db.session.rollback()
        if new_file:
            remove_picture_files(new_file, Banner.image)
        raise
    if old_image and old_image != banner.image:
        remove_picture_files(old_image, Banner.image)
    return banner


def delete_banner(banner_id: int) -> str:
    """Delete a billboard and its picture."""
    banner = get_banner(banner_id)
    title, image = banner.title, banner.image
    audit.record("banner.deleted", "banner", banner.id, f"Billboard “{title}” deleted",
                 before=_banner_snapshot(banner))
    db.session.delete(banner)
    commit_and_refresh_listings()
    remove_picture_files(image, Banner.image)
    return f"Billboard “{title}” was deleted."
