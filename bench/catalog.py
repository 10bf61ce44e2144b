"""Catalog load benchmark: gunicorn -w 2 (sync) on loopback, loaded by wrk, one URL at a time.

Prints requests/s and p50/p99 latency for a bare Flask page (24 cards from memory), /products,
a search within a category, and the HTMX catalog fragment. Not a test: it always exits 0 once
the server ran.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SHARE = 0.60


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(env: dict) -> None:
    """Migrate and seed the demo shop into the database named by env["DATABASE_URL"]."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"], ["shophub", "seed-demo"]):
        subprocess.run(flask + args, cwd=ROOT, env=env, check=True, capture_output=True)


def search_terms(env: dict) -> tuple[str, str]:
    """A category slug and a word that several of its products' names share."""
    code = (
        "from collections import Counter\n"
        "from bench.bench_app import app\n"
        "from shophub.models import Product\n"
        "with app.app_context():\n"
        "    products = Product.query.filter(Product.category_id.isnot(None)).all()\n"
        "    best = Counter((p.category.slug, w.lower().strip(',')) for p in products\n"
        "                   for w in p.name.split() if len(w) > 3)\n"
        "    (slug, word), _ = best.most_common(1)[0]\n"
        "    print(slug, word)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return out[0], out[1]


def wait_until_up(base: str, timeout: float = 30) -> None:
    """Poll /healthz until the server answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not come up")


def check_ok(base: str, path: str, headers: dict) -> None:
    """Fail early when a URL does not answer 200."""
    request = urllib.request.Request(base + path, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")


def _millis(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, headers: dict, args, script: Path | None = None) -> dict:
    """Load one URL with wrk (a Lua `script` may set method and body) and return
    requests/s, p50, p99 and non-2xx count."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
               "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, check=True, capture_output=True, text=True,
                            timeout=args.duration + 30).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _millis(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99_ms": _millis(re.search(r"\s99%\s+(\S+)", output).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def median_run(runs: list[dict]) -> dict:
    """The run with the median requests/s (its latencies come with it); non-2xx are summed."""
    middle = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
    return {**middle, "non_2xx": sum(run["non_2xx"] for run in runs)}


def start_server(env: dict) -> tuple[subprocess.Popen, str]:
    """Serve bench/bench_app.py with gunicorn -w 2 (sync) on a free port; returns it and its URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b",
         f"127.0.0.1:{port}", "--log-level", "warning", "bench.bench_app:app"],
        cwd=ROOT, env=env,
    )
    wait_until_up(base)
    return server, base


def stop_server(server, workdir: Path) -> None:
    """Stop gunicorn and remove the temporary folder."""
    if server:
        server.terminate()
        server.wait(timeout=15)
    shutil.rmtree(workdir, ignore_errors=True)


def print_table(results: list[dict], args, heading: str, width: int) -> None:
    """Print the wrk settings and one row per target."""
    print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, median of "
          f"{args.rounds} rounds, "
          f"gunicorn -w 2 sync, {'SQLite' if not args.database_url else args.database_url}")
    print(f"{heading:<{width}} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for row in results:
        print(f"{row['label']:<{width}} {row['rps']:>9.1f} {row['p50_ms']:>8.2f} "
              f"{row['p99_ms']:>8.2f} {row['non_2xx']:>8}")


def main() -> int:
    """Set up, serve, load every URL in turn, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per URL and round")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="passes over every URL")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir; "
                        "an existing database is migrated and seeded (seeding is idempotent)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="shophub-bench-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT), MEDIA_ROOT=str(workdir / "media"),
               SECRET_KEY="bench-secret",
               DATABASE_URL=args.database_url or f"sqlite:///{workdir}/bench.db")
    server = None
    try:
        prepare_database(env)
        category, word = search_terms(env)
        server, base = start_server(env)
        targets = [
            ("bare page (24 cards from memory)", "/_bench/bare", {}),
            ("/products", "/products", {}),
            (f"/products?q={word}&category={category}", f"/products?q={word}&category={category}",
             {}),
            ("/products?page=2 fragment (HX-Request)", "/products?page=2", {"HX-Request": "true"}),
        ]
        warm = argparse.Namespace(**{**vars(args), "duration": 2})
        for _, path, headers in targets:
            check_ok(base, path, headers)
            run_wrk(base + path, headers, warm)
        # Rounds go through every URL in turn, so that drift in the machine's speed hits all
        # of them alike; each figure is the median over the rounds.
        runs = {label: [] for label, _, _ in targets}
        for _ in range(args.rounds):
            for label, path, headers in targets:
                runs[label].append(run_wrk(base + path, headers, args))
        results = [{"label": label, **median_run(runs[label])} for label, _, _ in targets]
    finally:
        stop_server(server, workdir)

    print_table(results, args, heading="URL", width=48)
    share = results[1]["rps"] / results[0]["rps"]
    verdict = "met" if share >= TARGET_SHARE else "NOT met"
    print(f"\n/products runs at {share:.0%} of the bare page's requests/s "
          f"(target {TARGET_SHARE:.0%}: {verdict})")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"catalog-{int(time.time())}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
