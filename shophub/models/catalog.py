"""Catalog aggregate: categories, products with their variants and images, the store's option
lists (Size, Colour, …) whose values the variants take, billboards."""

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
    lone_store_index = False
    __table_args__ = (UniqueConstraint("store_id", "slug", name="uq_category_store_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    # What search engines show; empty means the defaults of shophub.seo.meta.
    meta_title: Mapped[str | None] = mapped_column(String(70))
    meta_description: Mapped[str | None] = mapped_column(String(160))

    products: Mapped[list["Product"]] = relationship(back_populates="category")


class Product(StoreOwned, db.Model):
    """Something the shop sells; what is bought is one of its variants."""

    __tablename__ = "product"
    lone_store_index = False
    __table_args__ = (
        Index("ix_product_listing", "store_id", "archived", "category_id", "created_at"),
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
    # Its published reviews, counted and summed by shophub.reviews.service whenever one is
    # published or hidden, so that listings show the average without reading the reviews.
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    meta_title: Mapped[str | None] = mapped_column(String(70))
    meta_description: Mapped[str | None] = mapped_column(String(160))
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
    """A buyable version of a product (one value of each of its option lists), with its own
    price and stock."""

    __tablename__ = "variant"
    lone_store_index = False
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        Index("ix_variant_product_price", "store_id", "product_id", "price_cents"),
        UniqueConstraint("store_id", "sku", name="uq_variant_store_sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    # The variant's option values as shoppers read them ("M / Blue"), in the order of the
    # store's option lists; kept by shophub.catalog.options whenever the values change.
    option_label: Mapped[str] = mapped_column(String(200), default="")
    price_cents: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="variants")
    options: Mapped[list["VariantOption"]] = relationship(
        back_populates="variant", cascade="all, delete-orphan")

    @property
    def in_stock(self) -> bool:
        """Whether at least one unit can be sold."""
        return self.stock > 0

    @property
    def option_values(self) -> dict[str, str]:
        """The variant's value of each option list it has, by the list's slug."""
        return {option.value.option_list.slug: option.value.value for option in self.options}


class OptionList(StoreOwned, db.Model):
    """One of the store's managed options (Size, Colour, Grind) with the values it offers."""

    __tablename__ = "option_list"
    lone_store_index = False
    __table_args__ = (
        UniqueConstraint("store_id", "slug", name="uq_option_list_store_slug"),
        UniqueConstraint("store_id", "name", name="uq_option_list_store_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    # The catalog's query-string name of the option (`?size=M`).
    slug: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)

    values: Mapped[list["OptionValue"]] = relationship(
        back_populates="option_list", order_by="OptionValue.position, OptionValue.id",
        cascade="all, delete-orphan",
    )


class OptionValue(StoreOwned, db.Model):
    """A value of an option list ("M" of Size); variants pick theirs from these."""

    __tablename__ = "option_value"
    __table_args__ = (
        UniqueConstraint("option_list_id", "value", name="uq_option_value_list_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    option_list_id: Mapped[int] = mapped_column(
        ForeignKey("option_list.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)

    option_list: Mapped[OptionList] = relationship(back_populates="values", lazy="joined")


class VariantOption(StoreOwned, db.Model):
    """The value a variant has for one option list: at most one per list."""

    __tablename__ = "variant_option"
    lone_store_index = False
    __table_args__ = (
        Index("ix_variant_option_value", "store_id", "option_value_id", "variant_id"),
        Index("ix_variant_option_variant", "store_id", "variant_id"),
    )

    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="CASCADE"), primary_key=True)
    option_list_id: Mapped[int] = mapped_column(
        ForeignKey("option_list.id", ondelete="CASCADE"), primary_key=True)
    # A value in use cannot be deleted (the option service says which variants use it).
    option_value_id: Mapped[int] = mapped_column(
        ForeignKey("option_value.id", ondelete="RESTRICT"))

    variant: Mapped[Variant] = relationship(back_populates="options")
    value: Mapped[OptionValue] = relationship(lazy="joined")


class ProductImage(StoreOwned, db.Model):
    """A picture of a product; `file` is its media storage key (path) without size suffix."""

    __tablename__ = "product_image"
    lone_store_index = False
    __table_args__ = (
        Index("ix_product_image_product", "store_id", "product_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    file: Mapped[str] = mapped_column(String(255))
    alt_text: Mapped[str] = mapped_column(String(255), default="")
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="images")


class Banner(StoreOwned, db.Model):
    """A billboard: shown on its category's page, and on the home page when featured."""

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
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("category.id", ondelete="SET NULL"), index=True
    )
    featured: Mapped[bool] = mapped_column(default=False)

    # The backref lets the ORM clear category_id when a category is deleted, so SQLite
    # (which does not enforce ON DELETE here) ends where PostgreSQL does.
    category: Mapped[Category | None] = relationship(backref="banners")
