"""Prometheus metrics: what the shop counts, and how the counts of several processes add up.

Domain code counts through the small functions here (`metrics.order_paid("stripe")`), never
through the metric objects. Without PROMETHEUS_MULTIPROC_DIR the metrics live in this process
(local runs, tests). With it, every process (gunicorn's web workers, RQ workers and their
work-horses) writes its values to files in that directory, and a scrape adds up the files of
all of them; the directory is read once, when this module is imported.
"""

import contextlib
import functools
import glob
import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
    values,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from shophub.platform import outages

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# Label values. Every label takes one of a few known values: an unbounded one (a raw path, an
# id) would make a new series, and in multiprocess mode new file entries, for each value.
WEBHOOK_OUTCOMES = ("handled", "duplicate", "ignored", "malformed", "bad_signature",
                    "unknown_order", "error")
SUCCEEDED, FAILED = "succeeded", "failed"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

METRICS_FILES = "The metrics directory (PROMETHEUS_MULTIPROC_DIR)"
_horse: tuple[int, int] | None = None  # (its worker's pid, its own pid), in a work-horse


# Which files a process writes. Two processes that run at the same time must never write the
# same file, so each writes files named by its pid. RQ's work-horses are the exception: a worker
# forks one per job, and one file set per horse would grow without bound. A worker waits for its
# horse before it forks the next, so the horses of one worker never run at the same time: they
# all write one set named "<worker pid>-horse". Not the worker's own set: the worker keeps its
# values in memory and would write over what a horse added. Because the name differs from the
# parent's, prometheus_client re-reads the files in each new horse instead of going on from the
# values the fork copied from the worker.
def _process_identifier() -> str:
    pid = os.getpid()
    if _horse is not None and _horse[1] == pid:  # not in a process the horse forked in turn
        return f"{_horse[0]}-horse"
    return str(pid)


if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)  # a worker may start before gunicorn creates it
    # Chosen before any metric below exists: each takes its value class when it is created.
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_identifier)

ORDERS_PLACED = Counter("shophub_orders_placed", "Orders placed at checkout.")
ORDERS_PAID = Counter("shophub_orders_paid", "Orders that became paid, by payment provider.",
                      ["provider"])
PAYMENTS_FAILED = Counter("shophub_payments_failed",
                          "Payment attempts marked failed, by payment provider.", ["provider"])
WEBHOOK_EVENTS = Counter("shophub_webhook_events",
                         "Provider webhook deliveries, by provider and outcome.",
                         ["provider", "outcome"])
JOB_RUNS = Counter("shophub_job_runs", "Background job runs, by queue and outcome.",
                   ["queue", "outcome"])
REQUEST_SECONDS = Histogram("shophub_http_request_duration_seconds",
                            "Time to answer a request, by method, endpoint and status class.",
                            ["method", "endpoint", "status"])
SCRAPE_UNREACHABLE = Counter("shophub_metrics_unreachable",
                             "Scrapes that could not read a service (redis, database).",
                             ["service"])


def _never_failing(count):
    """A count that cannot fail what it counts (a full directory): it warns once instead."""

    @functools.wraps(count)
    def guarded(*args, **kwargs) -> None:
        try:
            count(*args, **kwargs)
        except Exception as error:
            outages.report_failure(METRICS_FILES, error)

    return guarded


@_never_failing
def order_placed() -> None:
    """Count an order placed at checkout (not a revision of a pending one)."""
    ORDERS_PLACED.inc()


@_never_failing
def order_paid(provider: str) -> None:
    """Count an order that has just become paid."""
    ORDERS_PAID.labels(provider=provider).inc()


@_never_failing
def payment_failed(provider: str) -> None:
    """Count a payment attempt marked failed."""
    PAYMENTS_FAILED.labels(provider=provider).inc()


@_never_failing
def webhook_event(provider: str, outcome: str) -> None:
    """Count one webhook delivery and its outcome, one of WEBHOOK_OUTCOMES."""
    WEBHOOK_EVENTS.labels(provider=provider, outcome=outcome).inc()


@_never_failing
def job_run(queue: str, outcome: str) -> None:
    """Count one run of a job on `queue`: SUCCEEDED or FAILED."""
    JOB_RUNS.labels(queue=queue, outcome=outcome).inc()


@_never_failing
def request_served(method: str, endpoint: str, status_code: int, seconds: float) -> None:
    """Record how long a request took; `endpoint` is the route's name, never its path."""
    method = method if method in HTTP_METHODS else "other"
    REQUEST_SECONDS.labels(method=method, endpoint=endpoint,
                           status=f"{status_code // 100}xx").observe(seconds)


@_never_failing
def service_unreachable(service: str) -> None:
    """Count a scrape that went on without `service`."""
    SCRAPE_UNREACHABLE.labels(service=service).inc()


class _ThisProcess:
    """The default registry's metrics (ours, and the process's own), for one scrape."""

    def collect(self):
        """Everything the default registry holds."""
        return REGISTRY.collect()


def exposition(*collectors) -> bytes:
    """What a scrape gets: `collectors` (read now), then the counts of every process."""
    registry = CollectorRegistry()
    # The collectors go first, so that a service they could not reach is counted in this answer.
    for collector in collectors:
        registry.register(collector)
    if MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)
    else:
        registry.register(_ThisProcess())
    return generate_latest(registry)


def serve_on_port(port: int, address: str = "0.0.0.0") -> None:
    """Answer scrapes of this process's counts (a worker's, with its horses') on `port`."""
    registry = CollectorRegistry()
    if MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)
    else:
        registry.register(_ThisProcess())
    start_http_server(port, addr=address, registry=registry)


def count_as_work_horse_of(worker_pid: int) -> None:
    """In an RQ work-horse: write to the file set all horses of this worker share."""
    global _horse
    _horse = (worker_pid, os.getpid())


def _pid_of(path: str) -> int | None:
    """The pid in a metrics file's name: `counter_12.db`, `gauge_livesum_12.db`, `x_12-horse.db`."""
    name = os.path.basename(path)[:-len(".db")]
    identifier = name.rsplit("_", 1)[-1].split("-", 1)[0]
    return int(identifier) if identifier.isdigit() else None


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def prepare_multiprocess_dir() -> None:
    """At start-up (gunicorn's on_starting): create the directory, drop files of ended processes.

    The files of processes still running stay, so workers that share the directory and started
    first keep their counts. Counts of ended processes go: the totals start again from the
    running processes, which Prometheus reads as a counter reset.
    """
    if not MULTIPROC_DIR:
        return
    os.makedirs(MULTIPROC_DIR, exist_ok=True)
    for path in glob.glob(os.path.join(MULTIPROC_DIR, "*.db")):
        pid = _pid_of(path)
        if pid is None or not _is_running(pid):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def mark_process_dead(pid: int) -> None:
    """gunicorn's child_exit: drop an ended worker's live gauges; its counters stay in the sums."""
    if MULTIPROC_DIR:
        multiprocess.mark_process_dead(pid, MULTIPROC_DIR)
