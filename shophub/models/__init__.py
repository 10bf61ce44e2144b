"""SQLAlchemy models, one module per aggregate."""

from shophub.models.catalog import Banner, Category, Product, ProductImage, Variant

__all__ = ["Banner", "Category", "Product", "ProductImage", "Variant"]
