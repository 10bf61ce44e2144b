"""SQLAlchemy models, one module per aggregate."""

from shophub.models.cart import Cart, CartItem
from shophub.models.catalog import Banner, Category, Product, ProductImage, Variant
from shophub.models.mail import SentMail
from shophub.models.users import Address, PasswordResetToken, User, WishlistItem

__all__ = [
    "Address", "Banner", "Cart", "CartItem", "Category", "PasswordResetToken", "Product",
    "ProductImage", "SentMail", "User", "Variant", "WishlistItem",
]
