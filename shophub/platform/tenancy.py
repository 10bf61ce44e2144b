"""The current store, and the scoping that keeps every store's rows its own, by construction.

A request's store is found by its Host (a store's domain, `<slug>.localhost` on a laptop, or
else the default store), once per request when first needed, from a short-lived cache. A job
runs in the store of the request that queued it (the queue carries it); code outside both runs
in the default store unless it says otherwise with `use_store`.

Every ORM SELECT, UPDATE and DELETE is given the criterion `store_id = <current store>` for
every StoreOwned entity in it (one do_orm_execute hook with with_loader_criteria), and a new
StoreOwned row takes the current store at flush. Code that must cross stores says so with
`across_stores(statement)`.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from shophub.extensions import db
from shophub.models import Store, StoreDomain, StoreOwned, stores

ALL_STORES = "shophub_all_stores"
# How long a process keeps what it found for a host (a new domain shows within this).
CACHE_SECONDS = 30
# Hosts are the client's to choose: past this many, the cache starts again empty.
MAX_CACHED_HOSTS = 1024
LOCAL_SUFFIX = ".localhost"

_current: ContextVar[int | None] = ContextVar("shophub_store", default=None)


class NoStore(RuntimeError):
    """The database has no default store (it was not migrated)."""


@dataclass(frozen=True)
class StoreRef:
    """What a request needs to know of its store, kept between requests."""

    id: int
    slug: str
    is_default: bool
    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None


def _ref(store: Store) -> StoreRef:
    return StoreRef(id=store.id, slug=store.slug, is_default=store.is_default,
                    stripe_secret_key=store.stripe_secret_key,
                    stripe_publishable_key=store.stripe_publishable_key,
                    stripe_webhook_secret=store.stripe_webhook_secret)


def across_stores(statement):
    """`statement` without the current store's criterion: for platform pages and checks that
    must see every store (the webhook's store check, expiry and reconciliation)."""
    return statement.execution_options(**{ALL_STORES: True})


def _directory() -> dict:
    return current_app.extensions.setdefault("shophub_stores", {"hosts": {}, "default": None})


def forget_cached_stores() -> None:
    """Drop what this process cached of stores and hosts (after a store or domain changed)."""
    directory = _directory()
    directory["hosts"].clear()
    directory["default"] = None


def default_store() -> StoreRef:
    """The store of unknown hosts and of code that names no store."""
    directory = _directory()
    cached = directory["default"]
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    store = db.session.scalars(across_stores(
        select(Store).where(Store.is_default).order_by(Store.id).limit(1))).first()
    if store is None:
        raise NoStore("There is no default store: run `flask --app wsgi db upgrade`.")
    ref = _ref(store)
    directory["default"] = (time.monotonic() + CACHE_SECONDS, ref)
    return ref


def normalised_host(host: str) -> str:
    """`Shop.Example.com:8000.` as `shop.example.com`."""
    host = (host or "").strip().lower()
    if host.startswith("["):  # an IPv6 address with a port
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].rstrip(".")


def _lookup(host: str) -> StoreRef | None:
    store = db.session.scalars(across_stores(
        select(Store).join(StoreDomain).where(StoreDomain.host == host))).first()
    if store is None and host.endswith(LOCAL_SUFFIX):
        slug = host[:-len(LOCAL_SUFFIX)].rsplit(".", 1)[-1]
        store = db.session.scalars(across_stores(select(Store).where(Store.slug == slug))
                                   ).first()
    return _ref(store) if store is not None else None


def store_for_host(host: str) -> StoreRef:
    """The store that answers to `host`: by its domains, `<slug>.localhost`, else the default."""
    host = normalised_host(host)
    hosts = _directory()["hosts"]
    cached = hosts.get(host)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    ref = _lookup(host) or default_store()
    if len(hosts) >= MAX_CACHED_HOSTS:
        hosts.clear()
    hosts[host] = (now + CACHE_SECONDS, ref)
    return ref


def current_store() -> StoreRef:
    """The store this code works for: `use_store`'s, else the request's, else the default."""
    explicit = _current.get()
    if explicit is not None:
        return explicit_ref(explicit)
    if has_request_context():
        # Found on first use, so that requests that read no store's rows (health checks,
        # static files) never touch the database for it.
        ref = g.get("store")
        if ref is None:
            ref = g.store = store_for_host(request.host)
        return ref
    return default_store()


def current_store_id() -> int:
    """The id of `current_store()`."""
    explicit = _current.get()
    if explicit is not None:
        return explicit
    return current_store().id


def explicit_ref(store_id: int) -> StoreRef:
    """The StoreRef of a store named by id (cached like hosts)."""
    hosts = _directory()["hosts"]
    key = f"#{store_id}"
    cached = hosts.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    store = db.session.get(Store, store_id)
    if store is None:
        raise NoStore(f"There is no store {store_id}.")
    ref = _ref(store)
    hosts[key] = (time.monotonic() + CACHE_SECONDS, ref)
    return ref


@contextmanager
def use_store(store_id: int | None) -> Iterator[None]:
    """Work for store `store_id` inside (None changes nothing)."""
    if store_id is None:
        yield
        return
    token = _current.set(int(store_id))
    try:
        yield
    finally:
        _current.reset(token)


# One criterion for every statement: its store id is a parameter read when the statement runs,
# so the option (and the cache key of each statement it scopes) is the same for every store
# and request, and SQLAlchemy's compiled cache serves every scoped statement after its first.
_CURRENT_STORE = bindparam("current_store_id", callable_=lambda: current_store_id())
_SCOPED = with_loader_criteria(StoreOwned, lambda cls: cls.store_id == _CURRENT_STORE,
                               include_aliases=True, track_closure_variables=False)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_the_current_store(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    # Loads of columns and relationships of rows already read carry the criterion with them.
    if state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get(ALL_STORES) or not has_app_context():
        return
    # Given to every statement, including those that read no store's rows (the criterion then
    # applies to nothing): finding out which do would cost more than the criterion, which is
    # the same object every time and so compiled once per statement shape.
    state.statement = state.statement.options(_SCOPED)


@event.listens_for(Session, "before_flush")
def _new_rows_take_the_current_store(session: Session, _context, _instances) -> None:
    for row in session.new:
        if isinstance(row, StoreOwned) and row.store_id is None:
            row.store_id = current_store_id()


# The models ask this module for the current store (a user's role is the current store's).
stores.use_current_store_from(current_store_id)
