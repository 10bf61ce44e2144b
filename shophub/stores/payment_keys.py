"""A store's own Stripe account: its secret key, publishable key and webhook signing secret.

The keys are kept as they are in the store row (not encrypted); pages and the audit log only
ever see them masked. A store without a secret key takes demo payments (the default store
falls back to the keys in the environment, shophub.payments.stripe_keys).
"""

import re
from dataclasses import dataclass

from shophub.extensions import db
from shophub.models import Store
from shophub.platform import audit, tenancy
from shophub.stores.errors import StoreError

# Secrets are at least 8 characters past their prefix, so that their last four tell nothing.
SECRET_KEY = re.compile(r"^(?:sk|rk)_(test|live)_[A-Za-z0-9_]{8,240}$")
PUBLISHABLE_KEY = re.compile(r"^pk_(test|live)_[A-Za-z0-9_]{1,240}$")
WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9_+/=-]{8,240}$")


class InvalidKeys(StoreError):
    """Keys that cannot be saved; `errors` holds a message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def masked(key: str | None) -> str:
    """A stored key as pages may show it: its kind and last four characters only."""
    if not key:
        return ""
    kind = re.match(r"^(?:(?:sk|rk|pk)_(?:test|live)_|whsec_)", key)
    return f"{kind.group(0) if kind else ''}…{key[-4:]}"


def _mode(pattern: re.Pattern, key: str | None) -> str | None:
    found = pattern.match(key or "")
    return found.group(1) if found else None


@dataclass(frozen=True)
class KeysView:
    """What the payments page shows of the current store's keys."""

    secret_key: str
    publishable_key: str
    webhook_secret: str
    mode: str | None  # "test", "live", or None for demo payments

    @property
    def configured(self) -> bool:
        """Whether the store has its own Stripe account."""
        return bool(self.secret_key)


def _store() -> Store:
    store = db.session.get(Store, tenancy.current_store_id())
    assert store is not None
    return store


def keys_view() -> KeysView:
    """The current store's keys, masked (the publishable key is public and shown whole)."""
    store = _store()
    return KeysView(secret_key=masked(store.stripe_secret_key),
                    publishable_key=store.stripe_publishable_key or "",
                    webhook_secret=masked(store.stripe_webhook_secret),
                    mode=_mode(SECRET_KEY, store.stripe_secret_key))


def _state(store: Store) -> dict:
    # The audit's view of the keys: masked, never the secrets themselves.
    return {"secret_key": masked(store.stripe_secret_key),
            "publishable_key": store.stripe_publishable_key or "",
            "webhook_secret": masked(store.stripe_webhook_secret)}


def checked_keys(secret: str, publishable: str, webhook: str) -> tuple[str, str, str]:
    """The keys to store, an empty secret field keeping the stored secret; InvalidKeys if
    they are not Stripe keys of one mode, all three together."""
    store = _store()
    secret = (secret or "").strip() or (store.stripe_secret_key or "")
    publishable = (publishable or "").strip()
    webhook = (webhook or "").strip() or (store.stripe_webhook_secret or "")
    errors = {}
    if not secret:
        errors["secret_key"] = ("Enter the secret key (sk_live_… or sk_test_…, or a restricted "
                                "key rk_…).")
    elif not SECRET_KEY.match(secret):
        errors["secret_key"] = ("A secret key starts with sk_live_, sk_test_, rk_live_ or "
                                "rk_test_; copy it whole from the Stripe dashboard "
                                "(Developers → API keys).")
    if not publishable:
        errors["publishable_key"] = "Enter the publishable key (pk_live_… or pk_test_…)."
    elif not PUBLISHABLE_KEY.match(publishable):
        errors["publishable_key"] = "A publishable key starts with pk_live_ or pk_test_."
    elif (_mode(SECRET_KEY, secret) and
          _mode(SECRET_KEY, secret) != _mode(PUBLISHABLE_KEY, publishable)):
        errors["publishable_key"] = (f"The secret key is a {_mode(SECRET_KEY, secret)} key and "
                                     f"the publishable key a {_mode(PUBLISHABLE_KEY, publishable)}"
                                     " key: both must be test keys or both live keys.")
    if not webhook:
        errors["webhook_secret"] = ("Enter the webhook signing secret (whsec_…) of the "
                                    "endpoint that sends events to this store.")
    elif not WEBHOOK_SECRET.match(webhook):
        errors["webhook_secret"] = ("A webhook signing secret starts with whsec_; copy it whole "
                                    "from the endpoint's page in the Stripe dashboard.")
    if errors:
        raise InvalidKeys(errors)
    return secret, publishable, webhook


def save_keys(secret: str, publishable: str, webhook: str) -> bool:
    """Set the current store's Stripe keys (committed, audited without the secrets); returns
    whether anything changed. InvalidKeys if they are refused."""
    secret, publishable, webhook = checked_keys(secret, publishable, webhook)
    store = _store()
    before = _state(store)
    unchanged = (store.stripe_secret_key, store.stripe_publishable_key,
                 store.stripe_webhook_secret) == (secret, publishable, webhook)
    if unchanged:
        return False
    store.stripe_secret_key, store.stripe_publishable_key = secret, publishable
    store.stripe_webhook_secret = webhook
    audit.record("store.payment_keys_updated", "store", store.id,
                 f"Stripe keys set ({_mode(SECRET_KEY, secret)} mode)",
                 before=before, after=_state(store))
    db.session.commit()
    tenancy.forget_cached_stores()
    return True


def remove_keys() -> bool:
    """Forget the current store's Stripe keys, so that it takes demo payments (committed,
    audited); returns whether it had any."""
    store = _store()
    if not (store.stripe_secret_key or store.stripe_publishable_key
            or store.stripe_webhook_secret):
        return False
    before = _state(store)
    store.stripe_secret_key = store.stripe_publishable_key = store.stripe_webhook_secret = None
    audit.record("store.payment_keys_removed", "store", store.id, "Stripe keys removed",
                 before=before, after=_state(store))
    db.session.commit()
    tenancy.forget_cached_stores()
    return True
