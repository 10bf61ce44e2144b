"""The catalog behind deploy/'s nginx, with its compression on and off; and page weights.

Serves the demo shop (SQLite in a temporary folder) with gunicorn -w 2 behind nginx (TLS,
deploy/nginx/shophub.conf.template), and loads /products with wrk as a browser asks for it
(`Accept-Encoding: gzip, br`). Then it weighs the home, catalog and product pages: the bytes
a first visit downloads (the page and its stylesheets and scripts), compressed and not.
Not a test: it exits 0 once the runs finished.
"""

import argparse
import gzip
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.catalog import free_port, median_run, prepare_database, run_wrk, stop_server
from tests.prod.harness import make_certificate, render_nginx, require_binary

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/", "/products", None)  # None: the first product linked from /products
ASSETS = re.compile(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"')


def _fetch(base: str, path: str, context, encoding: str | None) -> tuple[int, bytes]:
    headers = {"Accept-Encoding": encoding} if encoding else {}
    request = urllib.request.Request(base + path, headers=headers)
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        body = response.read()
        return len(body), (gzip.decompress(body) if response.headers.get(
            "Content-Encoding") == "gzip" else body)


def page_weights(base: str, context) -> list[dict]:
    """Bytes on the wire of each page with its CSS and JS, plain and gzip-compressed."""
    rows = []
    _, catalog = _fetch(base, "/products", context, None)
    product = re.search(r'href="(/products/[a-z0-9-]+)"', catalog.decode()).group(1)
    for path in PAGES:
        path = path or product
        row = {"page": path}
        for label, encoding in (("plain", None), ("gzip", "gzip")):
            wire, html = _fetch(base, path, context, encoding)
            assets = sorted(set(ASSETS.findall(html.decode())))
            row[label] = wire + sum(_fetch(base, asset, context, encoding)[0] for asset in assets)
            row[f"{label}_html"] = wire
        rows.append(row)
    return rows


def serve(workdir: Path, env: dict, compress: bool, cert: Path, key: Path):
    """gunicorn on a free port and nginx in front of it; returns both and the proxy's URL."""
    port, https_port = free_port(), free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    folder = workdir / ("nginx-on" if compress else "nginx-off")
    folder.mkdir()
    config = render_nginx(folder, [port], https_port, cert, key, compress=compress)
    proxy = subprocess.Popen([require_binary("nginx"), "-p", str(folder), "-c", str(config)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"https://127.0.0.1:{https_port}"
    context = ssl.create_default_context(cafile=str(cert))
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", context=context, timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return server, proxy, base, context


def main() -> int:
    """Run both configurations and print requests/s and page weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="shophub-bench-proxy-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir}/shop.db",
           "SECRET_KEY": "bench-secret", "COMPRESS_RESPONSES": "0", "PROXY_HOPS": "1",
           "MEDIA_ROOT": str(workdir / "media")}
    for name in ("REDIS_URL", "SHOPHUB_ENV", "MAIL_SERVER", "STRIPE_SECRET_KEY"):
        env.pop(name, None)
    prepare_database(env)
    cert, key = make_certificate(workdir)
    headers = {"Accept-Encoding": "gzip, br"}
    results = {}
    for compress in (True, False):
        server, proxy, base, context = serve(workdir, env, compress, cert, key)
        try:
            runs = [run_wrk(base + "/products", headers, args) for _ in range(args.rounds)]
            results[compress] = (median_run(runs), page_weights(base, context))
        finally:
            proxy.terminate()
            proxy.wait(10)
            server.terminate()
            server.wait(15)
    stop_server(None, workdir)
    print(f"\n/products through nginx, wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration}s, median of {args.rounds}, gunicorn -w 2 sync, SQLite")
    for compress, (run, _) in results.items():
        print(f"  compression {'on ' if compress else 'off'}: {run['rps']:8.1f} req/s  "
              f"p50 {run['p50_ms']:.2f} ms  p99 {run['p99_ms']:.2f} ms  non-2xx {run['non_2xx']}")
    print("\nfirst-visit weight (page + CSS + JS), bytes on the wire")
    print(f"{'page':<34} {'plain':>9} {'gzip':>9} {'html':>7} {'html gz':>8}")
    for row in results[True][1]:
        print(f"{row['page']:<34} {row['plain']:>9} {row['gzip']:>9} {row['plain_html']:>7} "
              f"{row['gzip_html']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
