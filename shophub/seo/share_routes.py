"""GET the share images of products, categories and the store, and the pages' social tags."""

from flask import Blueprint, Response, abort, request

from shophub.platform.storage import LONG_CACHE_CONTROL, StorageError
from shophub.seo import share_images, social_tags

bp = Blueprint("share", __name__)
# An address without the current digest (a stale or missing ?v=) may change under caches.
SHORT_CACHE_CONTROL = "public, max-age=3600"
UNAVAILABLE_RETRY_SECONDS = 10

bp.add_app_template_global(social_tags.product_tags, "product_social_tags")
bp.add_app_template_global(social_tags.category_tags, "category_social_tags")
bp.add_app_template_global(social_tags.home_tags, "home_social_tags")


def _send(card: share_images.ShareCard | None) -> Response:
    """The card's PNG, with its digest as the ETag; 304 when the asker holds it already."""
    if card is None:
        abort(404, description="There is no such page to share.")
    current = request.args.get("v") == card.digest
    headers = {"Cache-Control": LONG_CACHE_CONTROL if current else SHORT_CACHE_CONTROL}
    if request.if_none_match.contains_weak(card.digest):
        response = Response(status=304, headers=headers)
        response.set_etag(card.digest)
        return response
    try:
        data = share_images.image_bytes(card)
    except StorageError:
        return Response("The image cannot be made just now.", 503, mimetype="text/plain",
                        headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS),
                                 "Cache-Control": "no-store"})
    response = Response(data, mimetype=share_images.CONTENT_TYPE, headers=headers)
    response.set_etag(card.digest)
    return response


@bp.get("/products/<slug>/share.png")
def product_image(slug: str):
    """A listed product's share image."""
    return _send(share_images.listed_product_card(slug))


@bp.get("/share/categories/<category_slug>.png")
def category_image(category_slug: str):
    """A category's share image."""
    found = share_images.category_share(category_slug)
    return _send(found.card if found else None)


@bp.get("/share/store.png")
def store_image():
    """The store's share image, which its home page shows."""
    return _send(share_images.store_card())
