"""Settings read from the environment (and an optional .env), with safe local defaults."""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dotenv import load_dotenv

from shophub.core.money import CURRENCY_EXPONENTS


def normalise_database_url(url: str) -> str:
    """Point plain postgres URLs at the psycopg 3 driver that requirements.txt installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def persistent_secret_key(instance_path: str) -> str:
    """Return the secret key stored in instance/, generating it on first use."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Create with owner-only permissions; never overwrite a key another process just wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


# Redis on the request path (cache, rate limits, handing over jobs) answers within this, or
# the request goes on without it: no page waits longer for a Redis that hangs.
REQUEST_REDIS_TIMEOUT = 0.5


def with_request_timeouts(redis_url: str) -> str:
    """The Redis URL with short connect and reply timeouts (redis-py reads them from the URL)."""
    parts = urlsplit(redis_url)
    query = dict(parse_qsl(parts.query))
    for name in ("socket_timeout", "socket_connect_timeout"):
        query.setdefault(name, str(REQUEST_REDIS_TIMEOUT))
    return urlunsplit(parts._replace(query=urlencode(query)))


# Seconds to wait for PostgreSQL to accept a connection: an unreachable database, even one
# that never answers, gives a 503 within about this, not a timeout of the web worker.
DATABASE_CONNECT_TIMEOUT = 3


def engine_options(database_uri: str, options: dict) -> dict:
    """SQLAlchemy engine options for the URI: PostgreSQL gets its connect timeout."""
    if not database_uri.startswith("postgresql"):
        return options
    connect_args = {"connect_timeout": DATABASE_CONNECT_TIMEOUT, **options.get("connect_args", {})}
    return {**options, "connect_args": connect_args}


def cache_settings(redis_url: str | None) -> dict:
    """Flask-Caching settings: Redis shared by every worker when configured, else in-process."""
    if redis_url:
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": with_request_timeouts(redis_url),
                "CACHE_KEY_PREFIX": "shophub:"}
    return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}


def mail_settings(env, instance_path: str) -> dict:
    """Outgoing mail: SMTP when MAIL_SERVER is set, else .eml files in instance/outbox/."""
    return {
        "MAIL_SERVER": env.get("MAIL_SERVER"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "587")),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "1") == "1",
        "MAIL_USE_SSL": env.get("MAIL_USE_SSL", "0") == "1",
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        # Unset: the store's current name with MAIL_FROM_ADDRESS (see mail.sender()).
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER"),
        "MAIL_FROM_ADDRESS": env.get("MAIL_FROM_ADDRESS", "shop@localhost"),
        "MAIL_OUTBOX": env.get("MAIL_OUTBOX") or str(Path(instance_path) / "outbox"),
        # Seconds to wait for the SMTP server to connect or answer, before the send fails
        # (and the mail job is retried).
        "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT", "10")),
    }


def media_settings(env, instance_path: str) -> dict:
    """Where pictures are kept: a folder under MEDIA_ROOT, or an S3(-compatible) bucket."""
    storage = (env.get("MEDIA_STORAGE") or "local").strip().lower()
    if storage not in ("local", "s3"):
        raise ValueError(f"MEDIA_STORAGE {storage!r} is not 'local' or 's3'")
    if storage == "s3" and not env.get("S3_BUCKET"):
        raise ValueError("MEDIA_STORAGE=s3 needs S3_BUCKET")
    return {
        "MEDIA_STORAGE": storage,
        "MEDIA_ROOT": env.get("MEDIA_ROOT") or str(Path(instance_path) / "media"),
        # A public base URL of the pictures (a CDN in front of the bucket); unset: /media.
        "MEDIA_URL": env.get("MEDIA_URL") or None,
        "S3_BUCKET": env.get("S3_BUCKET"),
        "S3_PREFIX": env.get("S3_PREFIX", ""),
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL") or None,
        "S3_REGION": env.get("S3_REGION") or None,
    }


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated CIDRs (`10.0.0.0/8,::1/128`); a bad one stops the start-up."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in text.split(",") if part.strip())


def load_settings(instance_path: str) -> dict:
    """Build the Flask config mapping from the environment."""
    load_dotenv(override=False)
    env = os.environ
    database_url = env.get("DATABASE_URL") or "sqlite:///" + str(
        Path(instance_path) / "shophub.db"
    )
    currency = env.get("STORE_CURRENCY", "USD").upper()
    if currency not in CURRENCY_EXPONENTS:
        raise ValueError(f"STORE_CURRENCY {currency!r} is not a supported currency code")
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or persistent_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # hide_parameters: a failed statement's error (and so its traceback in the logs) shows
        # no values, which hold customers' addresses and names.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "STORE_NAME": env.get("STORE_NAME", "ShopHub Demo Store"),
        "STORE_CURRENCY": currency,
        **media_settings(env, instance_path),
        "REDIS_URL": env.get("REDIS_URL"),
        **cache_settings(env.get("REDIS_URL")),
        "CATALOG_CACHE_SECONDS": int(env.get("CATALOG_CACHE_SECONDS", "10")),
        # How long browsers and shared caches may keep an answer of the catalog API.
        "API_CACHE_SECONDS": int(env.get("API_CACHE_SECONDS", "60")),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY"),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY"),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET"),
        # Another Stripe-compatible server (a local test server); unset in production.
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE"),
        "STORE_URL": env.get("STORE_URL"),
        # Reconciliation looks at unpaid orders whose intent is at least this old.
        "RECONCILE_AFTER_MINUTES": int(env.get("RECONCILE_AFTER_MINUTES", "5")),
        # Recovery mails: the reminder goes this long after the order is placed, only while at
        # least RECOVERY_MIN_HOLD_MINUTES of its hold remain; a lapsed order gets its "restore
        # my cart" mail within RECOVERY_RESTORE_WITHIN_HOURS, and the link works for
        # RECOVERY_RESTORE_LINK_DAYS.
        "RECOVERY_REMINDER_AFTER_MINUTES": int(env.get("RECOVERY_REMINDER_AFTER_MINUTES", "10")),
        "RECOVERY_MIN_HOLD_MINUTES": int(env.get("RECOVERY_MIN_HOLD_MINUTES", "5")),
        "RECOVERY_RESTORE_WITHIN_HOURS": int(env.get("RECOVERY_RESTORE_WITHIN_HOURS", "48")),
        "RECOVERY_RESTORE_LINK_DAYS": int(env.get("RECOVERY_RESTORE_LINK_DAYS", "14")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "PREFERRED_URL_SCHEME": env.get("PREFERRED_URL_SCHEME", "http"),
        "CATALOG_PAGE_SIZES": (12, 24, 48),
        "CATALOG_DEFAULT_PAGE_SIZE": 24,
        "SEND_FILE_MAX_AGE_DEFAULT": 3600,
        # Flask-Compress: on unless the proxy compresses (COMPRESS_RESPONSES=0 in deploy/).
        "COMPRESS_REGISTER": env.get("COMPRESS_RESPONSES", "1") == "1",
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_STREAMS": False,  # CSV exports go out as they are written
        **mail_settings(env, instance_path),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        # While Redis is away, limits are counted in each process, and Flask-Limiter says so.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": REQUEST_REDIS_TIMEOUT,
                                      "socket_connect_timeout": REQUEST_REDIS_TIMEOUT},
        "RATELIMIT_HEADERS_ENABLED": True,
        # Named for every app: Flask-Limiter keeps it on its one shared object otherwise, so one
        # app that turned limits off would turn them off for every app made after it.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_LOGIN": env.get("RATELIMIT_LOGIN", "10 per minute;50 per hour"),
        "RATELIMIT_ACCOUNT": env.get("RATELIMIT_ACCOUNT", "5 per minute;20 per hour"),
        # Per client address: placing orders, trying new discount codes, and every other public
        # POST (cart, wishlist, checkout steps), these counted together.
        "RATELIMIT_ORDERS": env.get("RATELIMIT_ORDERS", "10 per minute;30 per hour"),
        "RATELIMIT_COUPONS": env.get("RATELIMIT_COUPONS", "10 per minute;40 per hour"),
        "RATELIMIT_POSTS": env.get("RATELIMIT_POSTS", "60 per minute;600 per hour"),
        "RATELIMIT_BACK_IN_STOCK": env.get("RATELIMIT_BACK_IN_STOCK", "5 per minute;30 per hour"),
        # Without Redis, how long a request waits for the jobs it queued before it answers.
        "INLINE_JOB_WAIT_SECONDS": float(env.get("INLINE_JOB_WAIT_SECONDS", "1")),
        # Seconds before each retry of a failed job; 0 retries at once.
        "JOB_RETRY_INTERVALS": [int(part) for part in
                                env.get("JOB_RETRY_INTERVALS", "10,60,300").split(",") if part],
        "PASSWORD_RESET_MINUTES": int(env.get("PASSWORD_RESET_MINUTES", "60")),
        "SIGNUP_LINK_HOURS": int(env.get("SIGNUP_LINK_HOURS", "24")),
        # The newsletter: how long a confirmation link works, sign-ups per client address,
        # and a campaign's pace (at most BATCH_SIZE mails every BATCH_SECONDS).
        "NEWSLETTER_CONFIRM_HOURS": int(env.get("NEWSLETTER_CONFIRM_HOURS", "72")),
        "RATELIMIT_NEWSLETTER": env.get("RATELIMIT_NEWSLETTER", "5 per minute;20 per hour"),
        "NEWSLETTER_BATCH_SIZE": int(env.get("NEWSLETTER_BATCH_SIZE", "100")),
        "NEWSLETTER_BATCH_SECONDS": int(env.get("NEWSLETTER_BATCH_SECONDS", "60")),
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "CART_COOKIE_DAYS": 30,
        # Requests larger than this (picture uploads are at most 8 MB) get 413 before parsing.
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "PROXY_HOPS": int(env.get("PROXY_HOPS", "0")),
        # Who may read /metrics: a scraper with this bearer token, or from these networks.
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        # A worker answers scrapes of its own counts on this port (0: it does not), for
        # hosts where workers do not share PROMETHEUS_MULTIPROC_DIR with a web process.
        "WORKER_METRICS_PORT": int(env.get("WORKER_METRICS_PORT", "0")),
        "METRICS_ALLOW_FROM": parse_networks(env.get("METRICS_ALLOW_FROM",
                                                     "127.0.0.1/32,::1/128")),
        # Log lines: json or text (unset: json when SHOPHUB_ENV=production), from LOG_LEVEL up.
        "LOG_FORMAT": (env.get("LOG_FORMAT") or "").strip().lower() or None,
        "LOG_LEVEL": (env.get("LOG_LEVEL") or "INFO").strip().upper(),
    }
