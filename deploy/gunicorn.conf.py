"""gunicorn settings for the web processes: `gunicorn --config deploy/gunicorn.conf.py wsgi:app`.

Every value can be set from the environment; the defaults suit one web container behind the
proxy of deploy/nginx. gunicorn is meant to sit behind that proxy: it buffers slow clients,
which would otherwise hold a gunicorn thread each for as long as they take.
"""

import logging
import multiprocessing
import os

from shophub.platform.logs import ACCESS_LOG_FORMAT, gunicorn_logconfig_dict

# Loopback unless told otherwise: a container sets GUNICORN_BIND=0.0.0.0:8000 on its private
# network; honcho and other process managers give each process its PORT.
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or min(multiprocessing.cpu_count() * 2 + 1, 8))
# Threads per worker wait on Stripe and the database beside each other.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Import the app once in the master: workers fork with it ready, and an error in the settings
# stops the start-up instead of every worker in turn.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))  # longer than nothing, behind a proxy
# Restart each worker after about this many requests, so a slow leak cannot grow for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# The proxy's address: only its X-Forwarded-* headers are believed (the app reads them with
# ProxyFix, PROXY_HOPS deep).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = "-"
errorlog = "-"
access_log_format = ACCESS_LOG_FORMAT
logconfig_dict = gunicorn_logconfig_dict()


def on_starting(server) -> None:
    """Before the first worker: empty this server's metrics files of earlier runs."""
    from shophub.platform import metrics

    metrics.prepare_multiprocess_dir()


def when_ready(server) -> None:
    """Say once when rate limits would be counted per process instead of shared."""
    if workers > 1 and not os.environ.get("REDIS_URL"):
        logging.getLogger("gunicorn.error").warning(
            "REDIS_URL is unset: each of the %d workers counts rate limits on its own, so a "
            "limit trips up to %d times late; set REDIS_URL to share them", workers, workers)


def post_fork(server, worker) -> None:
    """In each worker: never reuse a database connection the master may have opened."""
    from shophub.extensions import db

    with server.app.wsgi().app_context():
        db.engine.dispose(close=False)


def child_exit(server, worker) -> None:
    """Forget a finished worker's live gauges; its counters stay in the totals."""
    from shophub.platform import metrics

    metrics.mark_process_dead(worker.pid)
