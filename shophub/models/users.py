"""Customer and staff accounts: users, their addresses, wishlists, sign-up and reset tokens."""

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
    false,
    func,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shophub.core import roles
from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models.catalog import Product
from shophub.models.stores import StoreMembership, StoreOwned, current_store_id

ROLES = roles.ROLES


def new_session_token() -> str:
    """A random token naming a user's login sessions; changing it logs every session out."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """Anyone with an account: a customer, a member of staff or an admin."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    # The store where the account was made: it knows the account before any order there.
    signed_up_store_id: Mapped[int | None] = mapped_column(
        ForeignKey("store.id", ondelete="SET NULL"), index=True,
        default=lambda: current_store_id())
    # May create and list stores (/admin/stores); set by `create-admin --platform`.
    is_platform_owner: Mapped[bool] = mapped_column(default=False, server_default=false())
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=new_session_token
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    addresses: Mapped[list["Address"]] = relationship(
        back_populates="user", order_by="Address.id", cascade="all, delete-orphan"
    )
    # Every store's (`role` picks the current store's); the session's user is loaded with
    # them in one statement (accounts.users.load_session_user), lists with selectinload.
    memberships: Mapped[list[StoreMembership]] = relationship(
        cascade="all, delete-orphan", order_by=StoreMembership.id)

    @hybrid_property
    def role(self) -> str:
        """customer, staff, admin or owner: this user's own role in the current store."""
        store_id = current_store_id()
        for membership in self.memberships:
            if membership.store_id == store_id:
                return membership.role
        return "customer"

    @role.inplace.setter
    def _set_role(self, value: str) -> None:
        store_id = current_store_id()
        existing = next((m for m in self.memberships if m.store_id == store_id), None)
        if value == "customer":
            if existing is not None:
                self.memberships.remove(existing)
        elif existing is not None:
            existing.role = value
        else:
            self.memberships.append(StoreMembership(store_id=store_id, role=value))

    @role.inplace.expression
    @classmethod
    def _role_in_sql(cls):
        return func.coalesce(
            select(StoreMembership.role)
            .where(StoreMembership.user_id == cls.id,
                   StoreMembership.store_id == current_store_id())
            .scalar_subquery(), "customer")

    def stores_with_a_role(self) -> list[int]:
        """The ids of the stores where this user is on the staff."""
        return [membership.store_id for membership in self.memberships]

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot log in (Flask-Login checks this)."""
        return self.active

    @property
    def acting_role(self) -> str:
        """The role this user acts with in the current store (a platform owner's is owner)."""
        return roles.acting_role(self.role, self.is_platform_owner)

    def can(self, needed: str) -> bool:
        """Whether this user passes the checks of role `needed` in the current store."""
        return roles.at_least(self.acting_role, needed)

    def may_manage(self, other: "User") -> bool:
        """Whether this user may deactivate or change the role of `other` in this store."""
        return roles.may_manage(self.acting_role, other.role)

    @property
    def is_staff(self) -> bool:
        """Staff, admins and owners may use the back office."""
        return self.can(roles.STAFF)

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


class SignupToken(db.Model):
    """An emailed, single-use, expiring link that creates an account; only its hash is stored."""

    __tablename__ = "signup_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffInvite(StoreOwned, db.Model):
    """An emailed, single-use, expiring invitation to join the staff; only its hash is stored."""

    __tablename__ = "staff_invite"
    __table_args__ = (
        CheckConstraint("role IN ('staff', 'admin', 'owner')", name="role_staff"),
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
