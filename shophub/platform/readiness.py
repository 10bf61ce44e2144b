"""What /readyz checks: the database and, with REDIS_URL, Redis and the cron scheduler's heartbeat.

Each check answers quickly when its service hangs: Redis within its request timeout (0.5 s,
one round trip for both of its checks), PostgreSQL within its connect timeout.
"""

import time

from flask import current_app
from redis.exceptions import RedisError
from rq.cron_scheduler_registry import get_registry_key
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from shophub.extensions import db
from shophub.platform import queue as job_queue

OK = "ok"
# The scheduler heartbeats at least every minute; RQ drops one silent for 120 s from its registry.
SCHEDULER_HEARTBEAT_MAX_AGE = 120


def report() -> dict[str, str]:
    """Each checked service with "ok" or what is wrong with it."""
    states = {"database": _database()}
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        states.update(_redis_and_scheduler(redis_url))
    return states


def is_ready(states: dict[str, str]) -> bool:
    """Whether every check of a report passed."""
    return all(state == OK for state in states.values())


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return "unreachable"
    return OK


def _redis_and_scheduler(redis_url: str) -> dict[str, str]:
    try:
        with job_queue.redis_connection(redis_url).pipeline(transaction=False) as pipe:
            pipe.ping()
            # Read the scheduler registry (name -> time of last heartbeat) without RQ's
            # clean-up of it, which writes: a probe changes nothing.
            pipe.zrevrange(get_registry_key(), 0, 0, withscores=True)
            _, newest = pipe.execute()
    except RedisError:
        return {"redis": "unreachable", "scheduler": "unknown"}
    if not newest:
        return {"redis": OK, "scheduler": "missing"}
    age = time.time() - newest[0][1]
    return {"redis": OK, "scheduler": OK if age <= SCHEDULER_HEARTBEAT_MAX_AGE else "stale"}
