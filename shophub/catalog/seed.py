"""`flask shophub seed-demo`: write the demo catalog and its pictures, once."""

from sqlalchemy import func, select

from shophub.catalog import cache as catalog_cache
from shophub.catalog import options
from shophub.catalog.demo_data import MAIN_SHOP, DemoShop, demo_categories, demo_products
from shophub.catalog.pictures import draw_placeholder, save_web_sizes, stored_sizes_exist
from shophub.extensions import db
from shophub.models import (
    Banner,
    Category,
    Coupon,
    Product,
    ProductImage,
    ShippingMethod,
    StoreSettings,
    Variant,
)
from shophub.platform import store_settings, tenancy
from shophub.platform.storage import media_storage

IMAGE_VIEWS = ["front view", "detail"]


def _ensure_picture(file_base: str, title: str, size: tuple[int, int], palette: int) -> str:
    storage = media_storage()
    if not stored_sizes_exist(file_base, storage):
        save_web_sizes(draw_placeholder(file_base, title, size, palette), file_base, storage)
    return file_base


def _seed_categories(shop: DemoShop) -> dict[str, Category]:
    existing = {c.slug: c for c in db.session.scalars(select(Category))}
    for name, slug, description, position in demo_categories(shop.categories):
        if slug not in existing:
            existing[slug] = Category(name=name, slug=slug, description=description,
                                      position=position)
            db.session.add(existing[slug])
    return existing


def _seed_products(shop: DemoShop, categories: dict[str, Category]) -> int:
    existing_slugs = set(db.session.scalars(select(Product.slug)))
    existing_skus = set(db.session.scalars(select(Variant.sku)))
    palettes = {slug: i for i, (_, slug, _, _) in enumerate(demo_categories(shop.categories))}
    added = 0
    for demo in demo_products(shop.categories, shop.option_names):
        for number in range(1, demo.image_count + 1):
            _ensure_picture(f"products/{demo.slug}-{number}", demo.name, (800, 800),
                            palettes[demo.category_slug] + number - 1)
        if demo.slug in existing_slugs or any(v.sku in existing_skus for v in demo.variants):
            continue
        product = Product(
            name=demo.name, slug=demo.slug, description=demo.description,
            category=categories[demo.category_slug], featured=demo.featured,
            created_at=demo.created_at, updated_at=demo.created_at,
        )
        product.variants = [
            Variant(sku=v.sku, price_cents=v.price_cents, stock=v.stock, position=position)
            for position, v in enumerate(demo.variants)
        ]
        product.images = [
            ProductImage(file=f"products/{demo.slug}-{number}", position=number - 1,
                         alt_text=f"{demo.name}, {IMAGE_VIEWS[(number - 1) % 2]}")
            for number in range(1, demo.image_count + 1)
        ]
        db.session.add(product)
        for variant, demo_variant in zip(product.variants, demo.variants, strict=True):
            options.set_named_values(variant, dict(demo_variant.options))
        added += 1
    return added


def _seed_banners(shop: DemoShop, categories: dict[str, Category]) -> int:
    existing = set(db.session.scalars(select(Banner.title)))
    added = 0
    for title, text, link_url, link_label, position, category, featured in shop.banners:
        # Drawn without words: stores share the picture of a position (deleting one checks
        # every store, see admin/catalog/pictures.py).
        image = _ensure_picture(f"banners/banner-{position + 1}", "", (800, 320), position)
        if title in existing:
            continue
        db.session.add(Banner(title=title, text=text, image=image, image_alt="",
                              link_url=link_url, link_label=link_label, active=True,
                              position=position, featured=featured,
                              category=categories[category] if category else None))
        added += 1
    return added


def _seed_checkout(shop: DemoShop) -> int:
    added = 0
    existing = set(db.session.scalars(select(ShippingMethod.name)))
    for name, description, price, free_over, position in shop.shipping:
        if name not in existing:
            db.session.add(ShippingMethod(name=name, description=description, price_cents=price,
                                          free_over_cents=free_over, position=position))
            added += 1
    codes = set(db.session.scalars(select(Coupon.code)))
    for code, description, kind, value, minimum in shop.coupons:
        if code not in codes:
            db.session.add(Coupon(code=code, description=description, kind=kind, value=value,
                                  min_subtotal_cents=minimum, per_customer_limit=1
                                  if code == "WELCOME10" else None))
            added += 1
    if db.session.get(StoreSettings, tenancy.current_store_id()) is None:
        store_settings.save(tax_rate_bp=shop.tax_rate_bp)
        added += 1
    return added


def seed_demo(if_empty: bool = False, shop: DemoShop = MAIN_SHOP) -> str:
    """Create the current store's missing demo categories, products, pictures and billboards."""
    if if_empty and db.session.scalar(select(func.count()).select_from(Product)):
        return "The catalog already has products; nothing seeded."
    categories = _seed_categories(shop)
    products = _seed_products(shop, categories)
    banners = _seed_banners(shop, categories)
    checkout_rows = _seed_checkout(shop)
    db.session.commit()
    catalog_cache.invalidate()
    options.forget_cached_options()
    if not products and not banners and not checkout_rows:
        return "The demo catalog is already in place; nothing changed."
    return (f"Seeded {products} products in {len(shop.categories)} categories "
            f"and {banners} billboard{'' if banners == 1 else 's'}.")
