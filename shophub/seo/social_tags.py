"""Open Graph and Twitter tags of the home, category and product pages: what a shared link
shows (title, description, canonical address, share image, price)."""

from dataclasses import dataclass
from decimal import Decimal

from flask import url_for

from shophub.catalog import queries as catalog
from shophub.core.money import exponent
from shophub.models import Product
from shophub.platform import store_settings
from shophub.seo import canonical, meta
from shophub.seo import share_images as images


@dataclass(frozen=True)
class SocialTags:
    """The values of one page's Open Graph and Twitter tags."""

    type: str
    title: str
    description: str
    url: str
    image: str
    image_alt: str
    site_name: str
    # Products only: the lowest price as a plain decimal ("12.90") and its currency.
    price_amount: str | None = None
    price_currency: str | None = None
    image_width: int = images.WIDTH
    image_height: int = images.HEIGHT
    image_type: str = images.CONTENT_TYPE


def decimal_amount(amount_minor: int, currency: str) -> str:
    """Minor units as a plain decimal in major units, as Open Graph reads it: 1290 -> '12.90'."""
    return str(Decimal(int(amount_minor)).scaleb(-exponent(currency)))


def _image_url(endpoint: str, card: images.ShareCard, **values) -> str:
    # The digest in the address makes caches fetch the image again when it changes.
    return url_for(endpoint, _external=True, v=card.digest, **values)


def _page_url() -> str:
    # The canonical rule's home is shophub.seo.canonical; these pages always have one.
    return canonical.canonical_url() or url_for("shop.home", _external=True)


def product_tags(product: Product) -> SocialTags:
    """The tags of a product page (product loaded with its variants and images)."""
    store_name = store_settings.display_name()
    card = images.product_card(product)
    amount = (decimal_amount(card.min_price, card.currency)
              if card.min_price is not None else None)
    return SocialTags(
        type="product", title=meta.product_title(product, store_name),
        description=meta.product_description(product, store_name), url=_page_url(),
        image=_image_url("share.product_image", card, slug=product.slug),
        image_alt=" ".join(part for part in (product.name, card.price_text) if part),
        site_name=store_name, price_amount=amount,
        price_currency=card.currency if amount else None,
    )


def category_tags(slug: str | None) -> SocialTags | None:
    """The tags of a category's page, None when there is no such category."""
    found = images.category_share(slug)
    if found is None:
        return None
    store_name = store_settings.display_name()
    return SocialTags(
        type="website", title=meta.category_title(found.category, store_name),
        description=meta.category_description(found.category, store_name), url=_page_url(),
        image=_image_url("share.category_image", found.card, category_slug=found.category.slug),
        image_alt=found.category.name, site_name=store_name,
    )


def home_tags(featured: list[catalog.ProductCard] | None = None) -> SocialTags:
    """The tags of the home page (`featured`: the cards it shows, when already read)."""
    store_name = store_settings.display_name()
    card = images.store_card(featured)
    return SocialTags(
        type="website", title=store_name, description=f"{store_name}: shop online.",
        url=_page_url(), image=_image_url("share.store_image", card), image_alt=store_name,
        site_name=store_name,
    )
