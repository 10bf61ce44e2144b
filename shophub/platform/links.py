"""Absolute links for mails and jobs, which may run outside any request."""

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import StoreDomain
from shophub.platform import tenancy


def _base_of_current_store() -> str:
    # The default store lives at STORE_URL; another store at its first domain, on the scheme
    # the installation is served with.
    configured = current_app.config.get("STORE_URL") or "http://localhost:5000"
    store = tenancy.current_store()
    if store.is_default:
        return configured
    host = db.session.scalar(select(StoreDomain.host).where(StoreDomain.store_id == store.id)
                             .order_by(StoreDomain.id).limit(1))
    if host:
        return f"{urlsplit(configured).scheme}://{host}"
    # A store without a domain is reached at <slug>.localhost, on the local port.
    parts = urlsplit(configured)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{store.slug}{tenancy.LOCAL_SUFFIX}{port}"


def external_url(endpoint: str, **values) -> str:
    """An absolute URL; outside a request it is built on the current store's address."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=_base_of_current_store()):
        return url_for(endpoint, _external=True, **values)
