"""Checkout benchmark: order placements per second with stock reservations, in-process.

No HTTP: each placement is what the checkout's "place order" step does with the store's own
services, carts.load_view() then order_placement.place() for a guest cart of 2-3 lines, with a
fresh database session per placement (as a request has). Placements run one thread at a time,
then on several threads (each with its own app context and so its own session and connection),
on SQLite (a file in a temporary folder) and on PostgreSQL. After each run the stock of every
variant must have gone down by exactly the quantities the placed orders reserved.

The PostgreSQL database is WIPED first (schema public dropped and re-created, then migrated).
Not a test: it exits 0 once the runs finished, 1 when a check failed.
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from bench.webhooks import DEFAULT_DATABASE_URL, reset_database
from shophub import create_app
from shophub.cart.service import load_view
from shophub.catalog import options
from shophub.checkout.placement import CheckoutDraft, place
from shophub.extensions import db
from shophub.models import Cart, CartItem, Order, OrderItem, Product, ShippingMethod, Variant
from shophub.platform import store_settings

ROOT = Path(__file__).resolve().parent.parent
ADDRESS = {"full_name": "Bench Buyer", "line1": "1 Main St", "city": "Springfield",
           "postal_code": "12345", "country": "US"}
STOCK = 1_000_000


# --- set-up --------------------------------------------------------------------------------------

def make_app(url: str, workdir: Path, pool_size: int):
    """The store's app on `url`, with its own instance folder and enough pooled connections."""
    options = {"pool_pre_ping": True}
    if not url.startswith("sqlite"):
        options.update(pool_size=pool_size, max_overflow=0)
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
        "SECRET_KEY": "bench-secret", "INSTANCE_PATH": str(workdir / "instance"),
        "MEDIA_ROOT": str(workdir / "media"), "MAIL_SERVER": None, "REDIS_URL": None,
        "CACHE_TYPE": "SimpleCache", "RATELIMIT_STORAGE_URI": "memory://",
    })


def seed_catalog(variants: int, rng: random.Random) -> tuple[list[int], int]:
    """Products of four variants each with a large stock, a shipping method and a tax rate."""
    for p in range(-(-variants // 4)):
        product = Product(name=f"Bench Product {p}", slug=f"bench-product-{p}")
        db.session.add(product)
        for v in range(min(4, variants - 4 * p)):
            variant = Variant(sku=f"BENCH-{p}-{v}", price_cents=rng.randrange(500, 9000, 50),
                              stock=STOCK, position=v)
            product.variants.append(variant)
            options.set_named_values(variant, {"Size": ("S", "M", "L", "XL")[v],
                                               "Colour": "Blue"})
    method = ShippingMethod(name="Standard", price_cents=500, free_over_cents=10000)
    db.session.add(method)
    store_settings.save(tax_rate_bp=825, reservation_minutes=30)
    db.session.commit()
    ids = list(db.session.scalars(sa.select(Variant.id).order_by(Variant.id)))
    return ids, method.id


def seed_carts(count: int, variant_ids: list[int], rng: random.Random) -> list[dict]:
    """Guest carts with 2-3 lines of distinct variants, 1-3 units each."""
    carts = []
    for _ in range(count):
        cart = Cart(token=uuid.uuid4().hex)
        lines = {variant_id: rng.randint(1, 3)
                 for variant_id in rng.sample(variant_ids, rng.choice((2, 3)))}
        cart.items = [CartItem(variant_id=variant_id, quantity=quantity)
                      for variant_id, quantity in lines.items()]
        db.session.add(cart)
        carts.append({"cart": cart, "lines": lines})
    db.session.commit()
    return [{"id": entry["cart"].id, "token": entry["cart"].token, "lines": entry["lines"]}
            for entry in carts]


def stock_levels() -> dict[int, int]:
    """Every variant's stock."""
    return dict(db.session.execute(sa.select(Variant.id, Variant.stock)).all())


# --- placing -------------------------------------------------------------------------------------

def place_carts(app, carts: list[dict], method_id: int, threads: int) -> dict:
    """Place one order per cart on `threads` threads; timings, outcomes and statements."""
    statements = Counter()

    def count_statement(conn, cursor, statement, parameters, context, executemany):
        statements[threading.get_ident()] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count_statement)
    latencies, placed, failures = [], [], Counter()
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)

    def worker(share: list[dict]) -> None:
        mine, done, failed = [], [], Counter()
        with app.app_context():
            start.wait()
            for cart in share:
                began = time.perf_counter()
                try:
                    view = load_view(None, cart["token"])
                    draft = CheckoutDraft(email=f"buyer{cart['id']}@example.com",
                                          address=dict(ADDRESS), shipping_method_id=method_id)
                    order = place(view, draft, None, cart["id"])
                    # The key, not order.id: after the commit that would reload the row.
                    done.append((cart["id"], sa.inspect(order).identity[0]))
                except Exception as error:  # noqa: BLE001 - counted and reported
                    db.session.rollback()
                    failed[f"{type(error).__name__}: {str(error).splitlines()[0][:80]}"] += 1
                finally:
                    db.session.remove()  # a request's session ends with it
                mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            placed.extend(done)
            failures.update(failed)

    workers = [threading.Thread(target=worker, args=(carts[n::threads],))
               for n in range(threads)]
    for thread in workers:
        thread.start()
    start.wait()
    began, cpu_began = time.perf_counter(), time.process_time()
    for thread in workers:
        thread.join()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    sa.event.remove(engine, "before_cursor_execute", count_statement)
    latencies.sort()
    return {
        "placed": placed, "failures": dict(failures), "elapsed": elapsed,
        "per_second": len(placed) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "statements": sum(statements.values()) / max(len(carts), 1),
        "cpu_ms": cpu / max(len(carts), 1) * 1000,  # this process, all threads
    }


def check_stock(before: dict[int, int], after: dict[int, int], carts: list[dict],
                placed: list[tuple[int, int]]) -> list[str]:
    """Stock went down by exactly the placed carts' quantities, which the orders hold."""
    problems = []
    by_cart = {cart["id"]: cart["lines"] for cart in carts}
    expected = Counter()
    for cart_id, _ in placed:
        expected.update(by_cart[cart_id])
    taken = Counter({variant_id: before[variant_id] - after[variant_id] for variant_id in before
                     if before[variant_id] != after[variant_id]})
    if taken != expected:
        wrong = sorted(set(taken) ^ set(expected) | {v for v in taken if taken[v] != expected[v]})
        problems.append(f"stock decrease differs from the carts' quantities for "
                        f"{len(wrong)} variants (e.g. {wrong[:3]})")
    order_ids = [order_id for _, order_id in placed]
    held = Counter()
    for chunk in range(0, len(order_ids), 500):
        rows = db.session.execute(
            sa.select(OrderItem.variant_id, sa.func.sum(OrderItem.quantity))
            .where(OrderItem.order_id.in_(order_ids[chunk:chunk + 500]))
            .group_by(OrderItem.variant_id)).all()
        for variant_id, quantity in rows:
            held[variant_id] += int(quantity)
    if held != expected:
        problems.append("the orders' items do not add up to the carts' quantities")
    states = Counter(db.session.scalars(
        sa.select(Order.stock_state).where(Order.cart_id.in_([c["id"] for c in carts]))))
    if states != Counter({"reserved": len(placed)}):
        problems.append(f"orders' stock states {dict(states)}, expected {len(placed)} reserved")
    return problems


def run_backend(name: str, url: str, args, workdir: Path) -> list[dict]:
    """Fresh database, seed, then one timed run per thread count, each with its own carts."""
    reset_database(url)
    thread_counts = [1, args.threads] if args.threads > 1 else [1]
    app = make_app(url, workdir, pool_size=max(thread_counts) + 1)
    rng = random.Random(20240601)
    with app.app_context():
        variant_ids, method_id = seed_catalog(args.variants, rng)
        batches = [seed_carts(args.carts, variant_ids, rng) for _ in thread_counts]
    rows = []
    for threads, carts in zip(thread_counts, batches, strict=True):
        # Warm-up on throw-away carts: compiled statements, pool connections, imports.
        with app.app_context():
            warm = seed_carts(min(50, args.carts), variant_ids, rng)
        place_carts(app, warm, method_id, threads)
        with app.app_context():
            before = stock_levels()
        result = place_carts(app, carts, method_id, threads)
        with app.app_context():
            problems = check_stock(before, stock_levels(), carts, result["placed"])
        if result["failures"]:
            problems.append(f"{sum(result['failures'].values())} placements failed: "
                            f"{result['failures']}")
        rows.append({"backend": name, "threads": threads, "carts": len(carts),
                     **{k: v for k, v in result.items() if k != "placed"},
                     "orders": len(result["placed"]), "problems": problems})
    with app.app_context():
        db.engine.dispose()
    return rows


def print_table(rows: list[dict]) -> None:
    """One row per backend and thread count."""
    print(f"\n{'backend':<12} {'threads':>7} {'orders':>7} {'placed/s':>9} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'SQL/order':>9} {'CPU ms':>7} {'failed':>7}  stock check")
    for row in rows:
        failed = sum(row["failures"].values())
        check = "exact" if not row["problems"] else "FAILED"
        print(f"{row['backend']:<12} {row['threads']:>7} {row['orders']:>7} "
              f"{row['per_second']:>9.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
              f"{row['statements']:>9.1f} {row['cpu_ms']:>7.2f} {failed:>7}  {check}")


def main() -> int:
    """Run every backend, print the table and the checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="PostgreSQL database to WIPE and use (default: %(default)s)")
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default: both)")
    parser.add_argument("--carts", type=int, default=1000, help="carts placed per run")
    parser.add_argument("--variants", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4, help="threads of the parallel run")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="shophub-bench-checkout-") as folder:
        workdir = Path(folder)
        for backend in args.backends.split(","):
            url = (f"sqlite:///{workdir}/bench.db" if backend == "sqlite"
                   else args.database_url)
            rows += run_backend(backend, url, args, workdir)

    print(f"\n{args.carts} guest carts of 2-3 lines per run, {args.variants} variants, "
          f"carts.load_view + order_placement.place, one session per placement")
    print_table(rows)
    problems = [f"{row['backend']} x{row['threads']}: {p}" for row in rows
                for p in row["problems"]]
    for problem in problems:
        print("CHECK FAILED:", problem)
    if not problems:
        print("checks: every variant's stock went down by exactly the quantities the placed "
              "orders hold, every order is reserved, no placement failed")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"checkout-{int(time.time())}.json").write_text(json.dumps(rows, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
