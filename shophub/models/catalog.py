"""Catalog aggregate: categories, products with their variants and images, home banners."""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models.stores import StoreOwned


class Category(StoreOwned, db.Model):
    """A shelf of the catalog."""

    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("store_id", "slug", name="uq_category_store_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    products: Mapped[list["Product"]] = relationship(back_populates="category")


class Product(StoreOwned, db.Model):
    """Something the shop sells; what is bought is one of its variants."""

    __tablename__ = "product"
    __table_args__ = (
        Index("ix_product_listing", "archived", "category_id", "created_at"),
        UniqueConstraint("store_id", "slug", name="uq_product_store_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(220))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("category.id", ondelete="SET NULL"), index=True
    )
    featured: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    category: Mapped[Category | None] = relationship(back_populates="products")
    variants: Mapped[list["Variant"]] = relationship(
        back_populates="product", order_by="Variant.position, Variant.id",
        cascade="all, delete-orphan",
    )
    images: Mapped[list["ProductImage"]] = relationship(
        back_populates="product", order_by="ProductImage.position, ProductImage.id",
        cascade="all, delete-orphan",
    )


class Variant(StoreOwned, db.Model):
    """A buyable version of a product (size, colour), with its own price and stock."""

    __tablename__ = "variant"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        Index("ix_variant_product_price", "product_id", "price_cents"),
        UniqueConstraint("store_id", "sku", name="uq_variant_store_sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    size: Mapped[str | None] = mapped_column(String(32), index=True)
    colour: Mapped[str | None] = mapped_column(String(32), index=True)
    price_cents: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="variants")

    @property
    def in_stock(self) -> bool:
        """Whether at least one unit can be sold."""
        return self.stock > 0


class ProductImage(StoreOwned, db.Model):
    """A picture of a product; `file` is its media storage key (path) without size suffix."""

    __tablename__ = "product_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), index=True
    )
    file: Mapped[str] = mapped_column(String(255))
    alt_text: Mapped[str] = mapped_column(String(255), default="")
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="images")


class Banner(StoreOwned, db.Model):
    """A billboard on the home page."""

    __tablename__ = "banner"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    text: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[str | None] = mapped_column(String(255))
    image_alt: Mapped[str] = mapped_column(String(255), default="")
    link_url: Mapped[str] = mapped_column(String(500), default="")
    link_label: Mapped[str] = mapped_column(String(80), default="")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
