"""Customer and staff accounts: users, their addresses, wishlists and password reset tokens."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models.catalog import Product
from shophub.models.stores import StoreOwned

ROLES = ("customer", "staff", "admin")


def new_session_token() -> str:
    """A random token naming a user's login sessions; changing it logs every session out."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """Anyone with an account: a customer, a member of staff or an admin."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('customer', 'staff', 'admin')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=new_session_token
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    addresses: Mapped[list["Address"]] = relationship(
        back_populates="user", order_by="Address.id", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot log in (Flask-Login checks this)."""
        return self.active

    @property
    def is_staff(self) -> bool:
        """Staff and admins may use the back office."""
        return self.role in ("staff", "admin")

    def get_id(self) -> str:
        """Sessions remember the session token, so rotating it ends them all."""
        return self.session_token


class Address(db.Model):
    """A postal address in a customer's address book."""

    __tablename__ = "address"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(120))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_default: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="addresses")


class WishlistItem(StoreOwned, db.Model):
    """A product a customer saved for later."""

    __tablename__ = "wishlist_item"
    __table_args__ = (UniqueConstraint("user_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    product: Mapped[Product] = relationship()


class PasswordResetToken(db.Model):
    """A single-use, expiring password reset token; only its hash is stored."""

    __tablename__ = "password_reset_token"
    __table_args__ = (Index("ix_password_reset_token_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class StaffInvite(db.Model):
    """An emailed, single-use, expiring invitation to join the staff; only its hash is stored."""

    __tablename__ = "staff_invite"
    __table_args__ = (
        CheckConstraint("role IN ('staff', 'admin')", name="role_staff"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
