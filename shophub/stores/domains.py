"""A store's domains: the host names it answers to, each host one store's.

A change takes effect in this process at once (its host cache is dropped); other processes
cache hosts for tenancy.CACHE_SECONDS and see it within that.
"""

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shophub.extensions import db
from shophub.models import StoreDomain
from shophub.platform import audit, tenancy
from shophub.stores.errors import StoreError

# A host name: dot-separated labels of letters, digits and inner hyphens.
HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*"
                  r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def checked_host(text: str) -> str:
    """`text` as a host to store (lower case, no final dot); StoreError if it is not one."""
    raw = (text or "").strip()
    host = raw.lower().rstrip(".")
    if any(mark in host for mark in ("://", "/", ":", "@")):
        raise StoreError(f"Enter the host name alone, without http://, a path or a port: "
                         f"shop.example.com rather than {raw!r}.")
    if not HOST.match(host):
        raise StoreError(f"{raw!r} is not a host name, such as shop.example.com.")
    if host == "localhost" or host.endswith(tenancy.LOCAL_SUFFIX):
        # <slug>.localhost already names each store on a laptop.
        raise StoreError(f"{host} is a local address that every store has under its slug; "
                         "enter a public host name, such as shop.example.com.")
    return host


def taken_hosts(hosts: list[str]) -> list[str]:
    """Which of `hosts` already belong to a store, any store."""
    if not hosts:
        return []
    return list(db.session.scalars(tenancy.across_stores(
        select(StoreDomain.host).where(StoreDomain.host.in_(hosts)))))


def store_domains() -> list[StoreDomain]:
    """The current store's domains; the first is the one its mail links use."""
    return list(db.session.scalars(select(StoreDomain).where(
        StoreDomain.store_id == tenancy.current_store_id()).order_by(StoreDomain.id)))


def add_domain(text: str) -> StoreDomain:
    """Add a host to the current store (committed, audited); StoreError if it is refused."""
    host = checked_host(text)
    # Not named in the message: the form shows what was typed, and the host may be another
    # store's.
    if taken_hosts([host]):
        raise StoreError("This host name already belongs to a store: each host name can "
                         "serve one store only.")
    store_id = tenancy.current_store_id()
    domain = StoreDomain(store_id=store_id, host=host)
    db.session.add(domain)
    try:
        db.session.flush()
    except IntegrityError as error:  # added by another request since the check
        db.session.rollback()
        raise StoreError("This host name already belongs to a store.") from error
    audit.record("store.domain_added", "store", store_id, f"Domain {host} added",
                 after={"host": host})
    db.session.commit()
    tenancy.forget_cached_stores()
    return domain


def remove_domain(domain_id: int) -> str | None:
    """Remove one of the current store's domains (committed, audited); returns its host, or
    None when the store has no domain with this id."""
    store_id = tenancy.current_store_id()
    domain = db.session.scalar(select(StoreDomain).where(
        StoreDomain.id == domain_id, StoreDomain.store_id == store_id))
    if domain is None:
        return None
    host = domain.host
    audit.record("store.domain_removed", "store", store_id, f"Domain {host} removed",
                 before={"host": host})
    db.session.delete(domain)
    db.session.commit()
    tenancy.forget_cached_stores()
    return host
