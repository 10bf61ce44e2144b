"""A customer's saved addresses; every lookup is scoped to its owner."""

from dataclasses import dataclass

from sqlalchemy import select, update

from shophub.extensions import db
from shophub.models import Address, User


@dataclass(frozen=True)
class AddressData:
    """The fields of an address as a form cleaned them."""

    full_name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str


def addresses_of(user: User) -> list[Address]:
    """The user's addresses, the default first."""
    return list(
        db.session.scalars(
            select(Address)
            .where(Address.user_id == user.id)
            .order_by(Address.is_default.desc(), Address.id)
        )
    )


def owned_address(user: User, address_id: int) -> Address | None:
    """The address if it belongs to `user`; None for anyone else's or a missing one."""
    return db.session.scalar(
        select(Address).where(Address.id == address_id, Address.user_id == user.id)
    )


def _make_only_default(user: User, address: Address) -> None:
    db.session.execute(
        update(Address)
        .where(Address.user_id == user.id, Address.id != address.id)
        .values(is_default=False)
    )
    address.is_default = True


def save_address(user: User, data: AddressData, address: Address | None = None,
                 make_default: bool = False) -> Address:
    """Add a new address or change one of the user's; the first address becomes the default."""
    if address is None:
        make_default = make_default or not addresses_of(user)
        address = Address(user_id=user.id)
        db.session.add(address)
    elif address.user_id != user.id:
        raise PermissionError("address belongs to another user")
    for field, value in vars(data).items():
        setattr(address, field, value)
    db.session.flush()
    if make_default:
        _make_only_default(user, address)
    db.session.commit()
    return address


def set_default(user: User, address: Address) -> None:
    """Make one of the user's addresses the default."""
    if address.user_id != user.id:
        raise PermissionError("address belongs to another user")
    _make_only_default(user, address)
    db.session.commit()


def delete_address(user: User, address: Address) -> None:
    """Delete one of the user's addresses; another becomes the default if needed."""
    if address.user_id != user.id:
        raise PermissionError("address belongs to another user")
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        remaining = addresses_of(user)
        if remaining:
            remaining[0].is_default = True
    db.session.commit()
