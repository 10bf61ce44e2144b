"""Liveness (/healthz) and readiness (/readyz) for load balancers, orchestrators and monitors."""

from flask import Blueprint, jsonify

from shophub.extensions import limiter
from shophub.platform import readiness

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 whenever this process can answer: it checks nothing else (see /readyz)."""
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """200 when the database, Redis and the cron scheduler are there; 503 naming what is not."""
    states = readiness.report()
    if readiness.is_ready(states):
        return jsonify(status="ok", **states)
    return jsonify(status="unavailable", **states), 503
