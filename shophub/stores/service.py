"""Creating a store: its slug, name, currency and domains, checked before anything is written."""

import re

from sqlalchemy import select

from shophub.core.money import CURRENCY_EXPONENTS
from shophub.extensions import db
from shophub.models import Store, StoreDomain, StoreSettings
from shophub.platform import audit, tenancy

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
# A host name: dot-separated labels of letters, digits and inner hyphens.
HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*"
                  r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class StoreError(ValueError):
    """A store that cannot be created as asked; the message says why."""


def _checked_domains(domains: list[str]) -> list[str]:
    hosts = []
    for domain in domains:
        host = tenancy.normalised_host(domain)
        if not HOST.match(host):
            raise StoreError(f"{domain!r} is not a host name, such as shop.example.com.")
        if host not in hosts:
            hosts.append(host)
    taken = db.session.scalars(select(StoreDomain.host).where(StoreDomain.host.in_(hosts))).all()
    if taken:
        raise StoreError(f"{taken[0]} already belongs to a store.")
    return hosts


def create_store(slug: str, name: str, domains: list[str], currency: str | None = None,
                 order_prefix: str = "SH") -> Store:
    """Create a store with its settings row and domains, and commit; StoreError if refused."""
    slug = (slug or "").strip().lower()
    name = (name or "").strip()
    if not SLUG.match(slug):
        raise StoreError("A store's slug is 1 to 60 lower-case letters, digits and hyphens, "
                         "such as corner-shop.")
    if not name or len(name) > 120:
        raise StoreError("A store needs a name of at most 120 characters.")
    currency = (currency or "").strip().upper() or None
    if currency is not None and currency not in CURRENCY_EXPONENTS:
        raise StoreError(f"{currency} is not a supported currency code.")
    if not re.fullmatch(r"[A-Z0-9]{1,8}", order_prefix or ""):
        raise StoreError("An order prefix is 1 to 8 capital letters or digits.")
    if db.session.scalar(select(Store.id).where(Store.slug == slug)) is not None:
        raise StoreError(f"There is already a store {slug}.")
    hosts = _checked_domains(domains)
    store = Store(slug=slug, order_prefix=order_prefix,
                  domains=[StoreDomain(host=host) for host in hosts])
    db.session.add(store)
    db.session.flush()
    db.session.add(StoreSettings(id=store.id, store_name=name, currency=currency))
    with tenancy.use_store(store.id):
        audit.record("store.created", "store", store.id, f"Store {slug} created",
                     after={"slug": slug, "name": name, "domains": hosts,
                            "currency": currency}, actor_label="command line")
        db.session.commit()
    tenancy.forget_cached_stores()
    return store
