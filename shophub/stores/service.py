"""Creating a store: its slug, name, currency and domains, checked before anything is written."""

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shophub.core.money import CURRENCY_EXPONENTS
from shophub.extensions import db
from shophub.models import Order, Store, StoreDomain, StoreSettings
from shophub.platform import audit, tenancy
from shophub.stores.domains import checked_host, taken_hosts
from shophub.stores.errors import StoreError

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


def _checked_domains(domains: list[str]) -> list[str]:
    hosts = []
    for domain in domains:
        host = checked_host(domain)
        if host not in hosts:
            hosts.append(host)
    taken = taken_hosts(hosts)
    if taken:
        raise StoreError(f"{taken[0]} already belongs to a store.")
    return hosts


def find_store(slug: str) -> Store | None:
    """The store with this slug, if there is one."""
    return db.session.scalar(select(Store).where(Store.slug == slug))


def create_store(slug: str, name: str, domains: list[str], currency: str | None = None,
                 order_prefix: str = "SH", actor_label: str = "command line") -> Store:
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
                            "currency": currency}, actor_label=actor_label)
        db.session.commit()
    tenancy.forget_cached_stores()
    return store


@dataclass(frozen=True)
class StoreLink:
    """A store where a user is on the staff, and the address of its admin."""

    name: str
    url: str
    current: bool


def _host_of(store: Store, request_host: str) -> str:
    if store.domains:
        return store.domains[0].host
    if store.is_default and not tenancy.normalised_host(request_host).endswith(
            tenancy.LOCAL_SUFFIX):
        return tenancy.normalised_host(request_host)
    return f"{store.slug}{tenancy.LOCAL_SUFFIX}" if not store.is_default else "localhost"


def staff_store_links(user, scheme: str, request_host: str) -> list[StoreLink]:
    """Every store where `user` has a role, each linked to its own /admin (the switcher);
    empty for staff of one store, who have nothing to switch to (and cost no statement)."""
    ids = user.stores_with_a_role()
    if len(ids) < 2:
        return []
    stores = db.session.scalars(select(Store).options(selectinload(Store.domains))
                                .where(Store.id.in_(ids)).order_by(Store.id)).all()
    names = dict(db.session.execute(
        select(StoreSettings.id, StoreSettings.store_name).where(StoreSettings.id.in_(ids))).all())
    port = request_host.rsplit(":", 1)[1] if ":" in request_host.split("]")[-1] else ""
    current = tenancy.current_store_id()
    return [StoreLink(name=names.get(store.id) or store.slug,
                      url=f"{scheme}://{_host_of(store, request_host)}"
                          f"{':' + port if port and not store.domains else ''}/admin",
                      current=store.id == current)
            for store in stores]


@dataclass(frozen=True)
class StoreRow:
    """One line of the platform's list of stores."""

    slug: str
    name: str
    is_default: bool
    domains: list[str]
    orders: int


def store_overview() -> list[StoreRow]:
    """Every store with its name, domains and how many orders it has (crosses stores)."""
    stores = db.session.scalars(select(Store).options(selectinload(Store.domains))
                                .order_by(Store.id)).all()
    names = dict(db.session.execute(select(StoreSettings.id, StoreSettings.store_name)).all())
    orders = dict(db.session.execute(tenancy.across_stores(
        select(Order.store_id, func.count(Order.id)).group_by(Order.store_id))).all())
    configured = current_app.config["STORE_NAME"]
    return [StoreRow(slug=store.slug,
                     name=names.get(store.id) or (configured if store.is_default else store.slug),
                     is_default=store.is_default,
                     domains=[domain.host for domain in store.domains],
                     orders=int(orders.get(store.id, 0)))
            for store in stores]
