"""The cron scheduler: RQ's CronScheduler with the schedule of shophub/platform/cron.py.

`flask --app wsgi shophub scheduler` runs it (as `rq cron shophub.platform.cron` does), with
ShopHub's logging. It only queues the periodic jobs; workers run them.
"""

from flask import Flask
from redis import Redis
from rq.cron import CronScheduler

# The module whose `rq.cron.register` calls are the schedule.
SCHEDULE_MODULE = "shophub.platform.cron"


def scheduler_for(redis_url: str) -> CronScheduler:
    """A cron scheduler on `redis_url` with the periodic jobs registered."""
    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    scheduler.load_config_from_file(SCHEDULE_MODULE)
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Queue the periodic jobs on time until stopped (SIGINT or SIGTERM)."""
    scheduler_for(app.config["REDIS_URL"]).start()
