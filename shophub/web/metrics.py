"""GET /metrics for Prometheus, and the timing of every request it reports.

/metrics answers a scraper that sends `Authorization: Bearer <METRICS_TOKEN>` or comes from a
network of METRICS_ALLOW_FROM; anyone else gets the shop's 404, as for a page that does not
exist. Behind a proxy the client address is the one ProxyFix read (PROXY_HOPS).
"""

import hmac
import ipaddress
import time

from flask import Blueprint, Flask, Response, abort, current_app, request

from shophub.extensions import limiter
from shophub.platform import metrics
from shophub.platform.queue_depth import QueueDepthCollector

bp = Blueprint("metrics", __name__)
STARTED = "shophub.request_started"
UNMATCHED = "unmatched"  # no route: a 404 or 405, whatever the path was


def init_app(app: Flask) -> None:
    """Time every request; registered before the other hooks, so their work is timed too."""

    @app.before_request
    def start_timing():
        request.environ[STARTED] = time.perf_counter()

    @app.after_request
    def record_timing(response: Response) -> Response:
        started = request.environ.pop(STARTED, None)
        if started is not None:
            endpoint = request.url_rule.endpoint if request.url_rule else UNMATCHED
            metrics.request_served(request.method, endpoint, response.status_code,
                                   time.perf_counter() - started)
        return response


def has_valid_token(authorization: str | None, token: str | None) -> bool:
    """Whether an Authorization header carries the bearer token (compared in constant time)."""
    if not token or not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode())


def is_allowed_address(address: str | None, networks) -> bool:
    """Whether a client address lies in one of `networks` (CIDRs, as text or parsed)."""
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped is not None:
        client = client.ipv4_mapped  # ::ffff:127.0.0.1 from a dual-stack socket
    return any(client in ipaddress.ip_network(str(network), strict=False)
               for network in networks or ())


def may_scrape() -> bool:
    """Whether this request may read /metrics: the token, or an address of an allowed network."""
    config = current_app.config
    return (has_valid_token(request.headers.get("Authorization"), config.get("METRICS_TOKEN"))
            or is_allowed_address(request.remote_addr, config.get("METRICS_ALLOW_FROM")))


@bp.get("/metrics")
@limiter.exempt
def prometheus_metrics():
    """Every process's metrics and the queue depth, in Prometheus' text format."""
    if not may_scrape():
        abort(404)
    return Response(metrics.exposition(QueueDepthCollector()),
                    content_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"})
