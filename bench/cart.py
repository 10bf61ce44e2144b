"""Cart load benchmark: add-to-cart as HTMX POSTs and the cart page, gunicorn -w 2 and wrk.

One shopper session (cookies and CSRF token taken from a first visit) is replayed by wrk:
  - POST /cart/items with HX-Request (the product page's add button), via a wrk Lua script;
  - GET /cart with 1 line and with 20 lines.
Not a test: it always exits 0 once the server ran.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.catalog import (
    median_run,
    prepare_database,
    print_table,
    run_wrk,
    start_server,
    stop_server,
)

ROOT = Path(__file__).resolve().parent.parent


class Shopper:
    """A browser-like client: keeps cookies and the page's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(base + "/cart").read().decode()
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

    def add(self, variant_id: int, quantity: int = 1) -> None:
        """Add a variant through the HTMX endpoint."""
        body = urllib.parse.urlencode({"variant_id": variant_id, "quantity": quantity}).encode()
        request = urllib.request.Request(
            self.base + "/cart/items", data=body,
            headers={"HX-Request": "true", "X-CSRFToken": self.csrf},
        )
        self.opener.open(request).read()

    def cookie_header(self) -> str:
        """The Cookie header a browser would send."""
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


def in_stock_variants(env: dict, limit: int) -> list[int]:
    """Ids of variants with stock, largest stock first."""
    code = (
        "from bench.bench_app import app\n"
        "from shophub.models import Variant, Product\n"
        "with app.app_context():\n"
        "    rows = Variant.query.join(Product).filter(Variant.stock > 0,\n"
        "        Product.archived.is_(False)).order_by(Variant.stock.desc())"
        f".limit({limit}).all()\n"
        "    print(' '.join(str(v.id) for v in rows))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return [int(part) for part in out.split()]


def post_script(folder: Path, variant_id: int) -> Path:
    """A wrk Lua script that sends the add-to-cart POST."""
    path = folder / "add.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "variant_id={variant_id}&quantity=1"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
    )
    return path


def main() -> int:
    """Set up, serve, load each target in turn, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="shophub-bench-cart-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT), MEDIA_ROOT=str(workdir / "media"),
               SECRET_KEY="bench-secret", RATELIMIT_LOGIN="100000 per second",
               DATABASE_URL=args.database_url or f"sqlite:///{workdir}/bench.db")
    server = None
    try:
        prepare_database(env)
        variants = in_stock_variants(env, 20)
        server, base = start_server(env)
        one, many, adder = Shopper(base), Shopper(base), Shopper(base)
        one.add(variants[0])
        for variant_id in variants:
            many.add(variant_id)
        adder.add(variants[0])
        script = post_script(workdir, variants[0])
        htmx_post = {"Cookie": adder.cookie_header(), "X-CSRFToken": adder.csrf,
                     "HX-Request": "true"}
        targets = [
            ("GET /cart, 1 line", "/cart", {"Cookie": one.cookie_header()}, False),
            (f"GET /cart, {len(variants)} lines", "/cart", {"Cookie": many.cookie_header()},
             False),
            ("POST /cart/items (HTMX add)", "/cart/items", htmx_post, True),
        ]
        runs = {label: [] for label, *_ in targets}
        warm = argparse.Namespace(**{**vars(args), "duration": 2})
        for round_number in range(args.rounds + 1):
            for label, path, headers, is_post in targets:
                options = warm if round_number == 0 else args
                result = run_wrk(base + path, headers, options, script if is_post else None)
                if round_number:
                    runs[label].append(result)
        results = [{"label": label, **median_run(runs[label])} for label, *_ in targets]
    finally:
        stop_server(server, workdir)

    print_table(results, args, heading="target", width=40)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"cart-{int(time.time())}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
