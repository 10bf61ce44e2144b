"""Opening a store from the platform (create-store, /admin/stores): the store and its owner."""

from shophub.admin.people import service as staff
from shophub.models import Store, User
from shophub.stores import service as stores


def open_store(slug: str, name: str, domains: list[str], currency: str | None,
               owner_email: str | None, actor: User | None = None,
               actor_label: str = "command line") -> tuple[Store, User | None]:
    """Create a store, and make `owner_email` its owner (or mail them an owner's invite when
    they have no account); returns the store and the owner's account, if it exists.

    Raises stores.StoreError or staff.StaffError, before anything is written.
    """
    email = staff.owner_email(owner_email) if owner_email else None
    store = stores.create_store(slug, name, domains, currency, actor_label=actor_label)
    owner = staff.appoint_owner(store.id, email, actor) if email else None
    return store, owner
