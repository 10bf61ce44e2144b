"""Stripe webhook benchmark: signed events per second through POST /webhooks/stripe on PostgreSQL.

The app runs under gunicorn on loopback with a Stripe webhook secret; wrk replays events that
were signed in Python just before each run (wrk's Lua has no HMAC-SHA256), read by a Lua script
from a file of (Stripe-Signature, body) lines, each wrk thread taking its own share of the lines:

  - an event type the shop does not handle (signature check + the processed_event insert);
  - payment_intent.succeeded for intents that belong to no order (plus the order look-up miss);
  - ids that were already processed (signature check + the rejected insert and rollback).

Every id of the first two kinds is new, so each accepted event must add exactly one
processed_event row; the script counts the rows after each run and checks that, and that no
answer was a 5xx. The database is WIPED first (schema public dropped and re-created, then
migrated). Not a test: it exits 0 once the server ran, 1 when a check failed.
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
import stripe

from bench.catalog import free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_d"
WEBHOOK_SECRET = "whsec_bench"
STRIPE_SECRET_KEY = "sk_test_bench"
TARGET_EVENTS_PER_SECOND = 1000
UNKNOWN_TYPE = "bench.unhandled_event"

# wrk's Lua: each thread keeps the lines whose number modulo the thread count is its own, so no
# two threads send the same id; it counts the answers by status and outcome, and `done` prints
# one line per thread for the Python side to read.
LUA_SCRIPT = r"""
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  reqs = {}
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local tab = line:find("\t", 1, true)
      reqs[#reqs + 1] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["Stripe-Signature"] = line:sub(1, tab - 1),
      }, line:sub(tab + 1))
    end
    i = i + 1
  end
  loaded = #reqs
  sent, answered, s4xx, s5xx, duplicate, ignored, handled = 0, 0, 0, 0, 0, 0, 0
end

function request()
  sent = sent + 1
  return reqs[((sent - 1) % #reqs) + 1]
end

function response(status, headers, body)
  answered = answered + 1
  if status >= 500 then
    s5xx = s5xx + 1
  elseif status >= 400 then
    s4xx = s4xx + 1
  elseif body:find('"duplicate"', 1, true) then
    duplicate = duplicate + 1
  elseif body:find('"ignored"', 1, true) then
    ignored = ignored + 1
  elseif body:find('"handled"', 1, true) then
    handled = handled + 1
  end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(string.format(
      "BENCH-THREAD loaded=%d sent=%d answered=%d s4xx=%d s5xx=%d duplicate=%d ignored=%d "
        .. "handled=%d\n",
      t:get("loaded"), t:get("sent"), t:get("answered"), t:get("s4xx"), t:get("s5xx"),
      t:get("duplicate"), t:get("ignored"), t:get("handled")))
  end
end
"""


# --- the database --------------------------------------------------------------------------------

def reset_database(url: str) -> None:
    """Drop and re-create schema public (PostgreSQL only), then migrate to the newest revision."""
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-secret", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"flask db upgrade failed:\n{done.stderr[-3000:]}")


def processed_ids(engine) -> set[str]:
    """Every event id in processed_event."""
    with engine.connect() as connection:
        return set(connection.scalars(sa.text("SELECT event_id FROM processed_event")))


# --- events --------------------------------------------------------------------------------------

def event_body(event_id: str, event_type: str, obj: dict, created: int) -> str:
    """A Stripe event envelope as compact JSON (one line, no tabs)."""
    return json.dumps({
        "id": event_id, "object": "event", "api_version": "2026-10-28.endive",
        "created": created, "livemode": False, "pending_webhooks": 1, "type": event_type,
        "data": {"object": obj},
    }, separators=(",", ":"))


def intent_object(intent_id: str, created: int) -> dict:
    """A succeeded PaymentIntent that no order knows (no order id in its metadata)."""
    return {"id": intent_id, "object": "payment_intent", "amount": 3000, "currency": "usd",
            "status": "succeeded", "client_secret": f"{intent_id}_secret_bench",
            "latest_charge": "ch_" + intent_id[3:], "last_payment_error": None,
            "created": created, "metadata": {}}


def new_ids(count: int, prefix: str) -> list[str]:
    """`count` fresh ids shaped like Stripe's."""
    run = uuid.uuid4().hex[:8]
    return [f"{prefix}_{run}{n:010d}" for n in range(count)]


def write_events(path: Path, kind: str, count: int, reuse: list[str]) -> list[str]:
    """Sign `count` events of `kind` now and write them as "signature<TAB>body" lines.

    Returns the event ids in file order (`reuse` supplies them for the duplicate kind).
    """
    now = int(time.time())
    if kind == "duplicate":
        ids = [reuse[n % len(reuse)] for n in range(count)]
    else:
        ids = new_ids(count, "evt")
    with path.open("w") as handle:
        for event_id in ids:
            if kind == "intent":
                body = event_body(event_id, "payment_intent.succeeded",
                                  intent_object("pi_" + event_id[4:], now), now)
            else:
                body = event_body(event_id, UNKNOWN_TYPE,
                                  {"id": "obj_" + event_id[4:], "object": "bench"}, now)
            signature = stripe.WebhookSignature.generate_signature_header(
                body, WEBHOOK_SECRET, timestamp=now)
            handle.write(f"{signature}\t{body}\n")
    return ids


# --- CPU accounting (Linux /proc): where the machine's two cores go per event --------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids) -> float:
    """User + system CPU seconds the processes used so far (those that have gone count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def worker_pids(server: subprocess.Popen) -> list[int]:
    """The gunicorn master and its workers."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    try:
        return [server.pid] + [int(pid) for pid in children.read_text().split()]
    except OSError:
        return [server.pid]


def backend_pids(engine) -> list[int]:
    """PostgreSQL server processes serving this database (other than ours), when local."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        return list(connection.scalars(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")))


def children_cpu() -> float:
    """CPU seconds of this process's finished children (wrk, once it has been waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- the server and wrk --------------------------------------------------------------------------

def start_server(env: dict, args, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Serve wsgi:app with gunicorn as the options say; its log goes to `log_path`."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "-w", str(args.workers),
               "-k", args.worker_class, "-b", f"127.0.0.1:{port}", "--log-level", "warning",
               "--backlog", "2048"]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.worker_threads)]
    log = log_path.open("w")
    server = subprocess.Popen(command + [args.app], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    log.close()
    wait_until_up(base)
    return server, base


def _millis(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, script: Path, events: Path, args, duration: int) -> dict:
    """Replay the events file against `url`; requests/s, latencies and the Lua counters."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s",
               "--latency", "-s", str(script), url, "--", str(events), str(args.threads)]
    output = subprocess.run(command, check=True, capture_output=True, text=True,
                            timeout=duration + 60).stdout
    counters = {"loaded": 0, "sent": 0, "answered": 0, "s4xx": 0, "s5xx": 0, "duplicate": 0,
                "ignored": 0, "handled": 0}
    per_thread = []
    for line in output.splitlines():
        if line.startswith("BENCH-THREAD"):
            values = {name: int(value) for name, value in re.findall(r"(\w+)=(\d+)", line)}
            per_thread.append(values["sent"])
            for name, value in values.items():
                counters[name] += value
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _millis(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99_ms": _millis(re.search(r"\s99%\s+(\S+)", output).group(1)),
        "socket_errors": errors.group(1).strip() if errors else "",
        "sent_per_thread": per_thread,
        **counters,
    }


def one_run(kind: str, server, base: str, workdir: Path, engine, args, duration: int,
            old_ids: list[str]) -> dict:
    """Sign a fresh batch, replay it with wrk and check processed_event against the answers."""
    events = workdir / f"{kind}.events"
    ids = write_events(events, kind, args.events, old_ids)
    before = processed_ids(engine)
    app_pids, db_pids = worker_pids(server), backend_pids(engine)
    cpu_before = cpu_seconds(app_pids), cpu_seconds(db_pids), children_cpu()
    result = run_wrk(base + "/webhooks/stripe", workdir / "events.lua", events, args, duration)
    cpu_after = cpu_seconds(app_pids), cpu_seconds(db_pids), children_cpu()
    answered = max(result["answered"], 1)
    result["cpu_us"] = {name: round((end - start) / answered * 1e6)
                        for name, start, end in zip(("app", "postgres", "wrk"), cpu_before,
                                                    cpu_after, strict=True)}
    time.sleep(1.0)  # requests wrk had in flight when it stopped are still finished by the server
    after = processed_ids(engine)
    added = after - before

    # The ids that went out: wrk thread t (in the order `done` lists them) sends its share of
    # the lines (line number modulo the thread count is t) from the first on.
    sent_ids = set()
    for thread, count in enumerate(result["sent_per_thread"]):
        sent_ids.update(ids[thread::args.threads][:count])
    accepted = result["ignored"] + result["handled"]
    problems = []
    if result["sent"] > result["loaded"]:
        problems.append(f"wrk cycled past its {result['loaded']} events (raise --events)")
    if result["s5xx"]:
        problems.append(f"{result['s5xx']} answers were 5xx")
    if result["s4xx"]:
        problems.append(f"{result['s4xx']} answers were 4xx (signature rejected?)")
    if kind == "duplicate":
        if added:
            problems.append(f"{len(added)} rows were added by repeated ids")
        if accepted:
            problems.append(f"{accepted} repeated ids were accepted as new")
    else:
        if result["duplicate"]:
            problems.append(f"{result['duplicate']} fresh ids were answered as duplicates")
        # Exactly one row per id the server accepted: at least one per accepted answer, none
        # for an id that was not sent, and at most the requests wrk had in flight when it
        # stopped (sent, never answered) on top; those the server may or may not have read.
        if not added <= sent_ids:
            problems.append(f"{len(added - sent_ids)} rows for ids that were never sent")
        if not accepted <= len(added) <= accepted + (result["sent"] - result["answered"]):
            problems.append(f"{len(added)} rows added for {accepted} accepted answers and "
                            f"{result['sent'] - result['answered']} requests in flight")
    return {**result, "kind": kind, "accepted": accepted, "rows_added": len(added),
            "problems": problems}


KINDS = [
    ("unknown", "unhandled type: verify + insert"),
    ("intent", "payment_intent.succeeded, no order"),
    ("duplicate", "repeated ids: verify + rejected insert"),
]


def print_table(results: list[dict], args, database_url: str) -> None:
    """One row per kind of event, then the checks."""
    server = f"gunicorn -w {args.workers} -k {args.worker_class}"
    if args.worker_class == "gthread":
        server += f" --threads {args.worker_threads}"
    print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, median of "
          f"{args.rounds} round(s), {server}, {database_url}")
    print("(events/s, latencies and CPU: the median round; answered and rows+: all rounds)")
    print(f"{'events':<40} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'answered':>9} "
          f"{'rows+':>7} {'5xx':>5}   CPU µs/event: app  pg  wrk")
    for row in results:
        cpu = row["cpu_us"]
        print(f"{row['label']:<40} {row['rps']:>9.1f} {row['p50_ms']:>8.2f} "
              f"{row['p99_ms']:>8.2f} {row['answered']:>9} {row['rows_added']:>7} "
              f"{row['s5xx']:>5}   {cpu['app']:>16} {cpu['postgres']:>4} {cpu['wrk']:>4}")


def median_run(runs: list[dict]) -> dict:
    """The run with the median events/s; answers, rows and problems are summed over runs."""
    middle = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
    summed = {name: sum(run[name] for run in runs)
              for name in ("answered", "rows_added", "s5xx", "s4xx", "accepted", "sent")}
    return {**middle, **summed, "problems": [p for run in runs for p in run["problems"]]}


def main() -> int:
    """Wipe and migrate the database, serve, replay each kind of event, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="PostgreSQL database to WIPE and use (default: %(default)s)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per kind and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="passes over the three kinds; each figure is the median")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--worker-threads", type=int, default=2, help="threads per gthread worker")
    parser.add_argument("--app", default="wsgi:app", help="the WSGI app gunicorn serves")
    parser.add_argument("--events", type=int, default=0,
                        help="events signed per run (default: 6000 per second of --duration)")
    args = parser.parse_args()
    args.events = args.events or max(6000 * args.duration, 12000)
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="shophub-bench-webhooks-"))
    (workdir / "events.lua").write_text(LUA_SCRIPT)
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=python_path, MEDIA_ROOT=str(workdir / "media"),
               SECRET_KEY="bench-secret", DATABASE_URL=args.database_url,
               STRIPE_SECRET_KEY=STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    env.pop("STRIPE_API_BASE", None)
    server, engine = None, None
    runs = {kind: [] for kind, _ in KINDS}
    try:
        try:
            reset_database(args.database_url)
        except sa.exc.OperationalError as error:
            print(f"PostgreSQL at {args.database_url} is unreachable: {error}", file=sys.stderr)
            return 2
        engine = sa.create_engine(args.database_url)
        server, base = start_server(env, args, workdir / "gunicorn.log")
        # Warm-up: every worker imports, connects and compiles its statements.
        warm = one_run("unknown", server, base, workdir, engine,
                       argparse.Namespace(**{**vars(args), "events": 12000}), 2, [])
        old_ids = sorted(processed_ids(engine))
        if not old_ids or warm["problems"]:
            raise RuntimeError(f"warm-up failed: {warm}")
        for _ in range(args.rounds):
            for kind, _ in KINDS:
                runs[kind].append(one_run(kind, server, base, workdir, engine, args, args.duration,
                                          old_ids))
        total_rows = len(processed_ids(engine))
    finally:
        if server:
            server.terminate()
            server.wait(timeout=15)
        if engine is not None:
            engine.dispose()
        log_path = workdir / "gunicorn.log"
        server_log = log_path.read_text(errors="replace") if log_path.exists() else ""
        shutil.rmtree(workdir, ignore_errors=True)

    results = [{"label": label, **median_run(runs[kind])} for kind, label in KINDS]
    print_table(results, args, args.database_url)
    expected_rows = warm["rows_added"] + sum(row["rows_added"] for row in results)
    problems = [f"{row['label']}: {p}" for row in results for p in row["problems"]]
    if total_rows != expected_rows:
        problems.append(f"processed_event has {total_rows} rows, runs added {expected_rows}")
    accepted = sum(row["accepted"] for row in results) + warm["accepted"]
    print(f"\nprocessed_event: {total_rows} rows = {accepted} accepted answers "
          f"+ {total_rows - accepted} events wrk had in flight when it stopped "
          f"(finished by the server, never answered to wrk)")
    slowest_new = min(results[0]["rps"], results[1]["rps"])
    verdict = "met" if slowest_new >= TARGET_EVENTS_PER_SECOND else "NOT met"
    print(f"new events: at least {slowest_new:.0f}/s (target {TARGET_EVENTS_PER_SECOND}/s: "
          f"{verdict})")
    if "Traceback" in server_log:
        at = server_log.index("Traceback")
        problems.append("the server logged a traceback:\n" + server_log[at:at + 3000])
    for problem in problems:
        print("CHECK FAILED:", problem)
    if not problems:
        print("checks: every fresh id added exactly one row, repeats added none, no 4xx/5xx")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"webhooks-{int(time.time())}.json").write_text(json.dumps(results, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
