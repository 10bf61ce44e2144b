"""The production shape: 30 buyers through nginx to two web processes, two workers and the
scheduler, on PostgreSQL and Redis, started from deploy/Procfile."""

import email
import json
import re
import shlex
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
import yaml

from tests.prod.harness import PROJECT, start_shop, stop_shop
from tests.services import wait_until

BUYERS = 30
CONTACT = {"full_name": "Pat Buyer", "line1": "1 Main St", "city": "Springfield",
           "postal_code": "12345", "country": "US"}
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The shop in its production shape, for the module's tests."""
    running = start_shop(tmp_path_factory.mktemp("prod"))
    yield running
    stop_shop(running)


def _variants_to_buy(shop, count: int) -> list[int]:
    """`count` variant ids, one unit each, spread over the demo catalog's stock."""
    engine = sa.create_engine(shop.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT v.id, v.stock FROM variant v JOIN product p ON p.id = v.product_id "
                "JOIN store s ON s.id = v.store_id "
                "WHERE s.is_default AND v.stock > 0 AND NOT p.archived "
                "ORDER BY v.stock DESC, v.id")).all()
    finally:
        engine.dispose()
    picks = [variant for variant, stock in rows for _ in range(stock)][:count]
    assert len(picks) == count, "the demo catalog holds too little stock for the buyers"
    return picks


class Buyer:
    """One shopper's browser: cookies, the CSRF token, and the Referer a browser sends."""

    def __init__(self, shop) -> None:
        self.base = shop.base
        self.session = requests.Session()
        # Per request: a session's `verify` loses to REQUESTS_CA_BUNDLE in the environment.
        self.cert = str(shop.cert)
        self.token = ""
        self.request_ids: list[str] = []

    def get(self, path: str) -> requests.Response:
        """GET a page; keep its CSRF token."""
        response = self.session.get(self.base + path, verify=self.cert, timeout=30)
        self.request_ids.append(response.headers.get("X-Request-ID", ""))
        found = CSRF.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict) -> requests.Response:
        """POST a form as the page would."""
        response = self.session.post(
            self.base + path, data={"csrf_token": self.token, **data},
            headers={"Referer": self.base + "/"}, allow_redirects=False, verify=self.cert,
            timeout=30)
        self.request_ids.append(response.headers.get("X-Request-ID", ""))
        return response

    def buy(self, variant_id: int, number: int) -> str:
        """Put one unit in the cart and pay with the demo card; returns the order number."""
        self.get("/products")
        added = self.post("/cart/items", {"variant_id": variant_id, "quantity": 1})
        assert added.status_code == 303, added.text[:500]
        self.get("/checkout")
        contact = self.post("/checkout/contact",
                            {"email": f"buyer{number}@example.com", **CONTACT})
        assert contact.status_code == 303, contact.text[:500]
        shipping = self.get("/checkout?step=shipping")
        method = re.search(r'name="shipping_method" value="(\d+)"', shipping.text).group(1)
        placed = self.post("/checkout/shipping", {"shipping_method": method,
                                                  "coupon_code": "", "action": "continue"})
        assert placed.status_code == 303 and placed.headers["Location"].endswith(
            "/checkout/payment"), placed.text[:500]
        self.get("/checkout/payment")
        paid = self.post("/checkout/demo/pay", {"card_number": "4242 4242 4242 4242",
                                                "expiry": "12/30", "cvc": "123"})
        assert paid.status_code == 303, paid.text[:500]
        complete = self.get(paid.headers["Location"].removeprefix(self.base))
        assert "Your order is confirmed." in complete.text
        return re.search(r"Order <strong>([^<]+)</strong> is paid", complete.text).group(1)


@pytest.fixture(scope="module")
def bought(shop):
    """30 buyers check out at once, 6 at a time: their order numbers and request ids."""
    variants = _variants_to_buy(shop, BUYERS)
    buyers = [Buyer(shop) for _ in range(BUYERS)]
    with ThreadPoolExecutor(6) as pool:
        numbers = list(pool.map(lambda i: buyers[i].buy(variants[i], i), range(BUYERS)))
    cookies = [cookie for buyer in buyers for cookie in buyer.session.cookies]
    assert cookies and all(cookie.secure for cookie in cookies), "a cookie without Secure"
    return numbers, [rid for buyer in buyers for rid in buyer.request_ids]


def test_thirty_buyers_check_out_through_the_proxy(bought):
    numbers, request_ids = bought
    assert len(set(numbers)) == BUYERS
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in request_ids)


def test_every_paid_order_gets_its_mail(shop, bought):
    numbers, _ = bought

    def confirmed() -> set[str]:
        subjects = {email.message_from_bytes(raw)["Subject"] for raw in shop.smtp.messages}
        return {number for number in numbers if f"Order {number} confirmed" in subjects}

    wait_until(lambda: len(confirmed()) == BUYERS, 120, "a confirmation mail for every order")


def test_logs_are_json_with_request_ids_and_no_buyer_addresses(shop, bought):
    numbers, request_ids = bought
    lines = shop.log_lines("app") + shop.log_lines("nginx")
    records = []
    for process, text in lines:
        if process == "system":  # honcho's own lines about starting and stopping
            continue
        try:
            records.append(json.loads(text))
        except json.JSONDecodeError:
            pytest.fail(f"{process} wrote a line that is not JSON: {text[:300]}")
    logged_ids = {record.get("request_id") for record in records}
    assert set(request_ids) <= logged_ids, "a response's request id is missing from the logs"
    access = [r for r in records if r.get("logger") == "gunicorn.access"]
    assert access and all(r.get("request_id") and "duration_ms" in r for r in access)
    about_orders = {record.get("order") for record in records}
    assert set(numbers) <= about_orders, "an order's number is missing from its log lines"
    everything = "\n".join(text for _, text in lines)
    assert "@example.com" not in everything
    assert CONTACT["full_name"] not in everything and CONTACT["line1"] not in everything


def _metric_total(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name) and not line.startswith("#"))


def test_metrics_count_the_orders(shop, bought):
    # The web processes answer /metrics on their own port; the proxy never passes it on.
    assert requests.get(shop.base + "/metrics", verify=str(shop.cert), timeout=5
                        ).status_code == 404
    scraped = requests.get(f"http://127.0.0.1:{shop.web_ports[0]}/metrics", timeout=5)
    assert scraped.status_code == 200
    assert _metric_total(scraped.text, "shophub_orders_placed_total") == BUYERS
    assert _metric_total(scraped.text, "shophub_orders_paid_total") == BUYERS
    assert _metric_total(scraped.text, "shophub_http_request_duration_seconds_count") > BUYERS * 8


def test_static_files_come_from_the_proxy_immutable_and_compressed(shop):
    page = requests.get(shop.base + "/products", verify=str(shop.cert), timeout=10,
                        headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    link = re.search(r'href="(/static/css/shop\.[0-9a-f]{12}\.css)"', page.text).group(1)
    css = requests.get(shop.base + link, verify=str(shop.cert), timeout=10,
                       headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200 and "immutable" in css.headers["Cache-Control"]
    assert css.headers["Content-Encoding"] == "gzip"
    assert css.content == (PROJECT / "static" / "css" / "shop.css").read_bytes()


def test_slow_clients_wait_in_nginx_not_in_gunicorn(shop, bought):
    # More slow uploads than the web processes have threads (2 x 2 workers x 4 threads):
    # with them held by clients, nobody else would be served until they finish.
    context = ssl.create_default_context(cafile=str(shop.cert))
    slow = []
    for _ in range(24):
        raw = socket.create_connection(("127.0.0.1", shop.https_port), timeout=10)
        connection = context.wrap_socket(raw, server_hostname="127.0.0.1")
        connection.sendall(b"POST /cart/items HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           b"Content-Type: application/x-www-form-urlencoded\r\n"
                           b"Content-Length: 100000\r\n\r\nvariant_id=1&")
        slow.append(connection)
    try:
        for _ in range(10):
            started = time.monotonic()
            page = requests.get(shop.base + "/products", verify=str(shop.cert), timeout=10)
            assert page.status_code == 200 and time.monotonic() - started < 2
    finally:
        for connection in slow:
            connection.close()


def test_readyz_turns_503_when_the_scheduler_stops(shop, bought):
    ready = requests.get(shop.base + "/readyz", verify=str(shop.cert), timeout=5)
    assert ready.status_code == 200
    assert requests.get(shop.base + "/healthz", verify=str(shop.cert), timeout=5).ok
    shop.stop("scheduler")
    wait_until(lambda: requests.get(shop.base + "/readyz", verify=str(shop.cert),
                                    timeout=5).status_code == 503,
               30, "/readyz to notice the scheduler stopped")
    assert requests.get(shop.base + "/healthz", verify=str(shop.cert), timeout=5).ok


def test_compose_runs_the_procfile_commands():
    procfile = {}
    for line in (PROJECT / "deploy" / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            procfile[name.strip()] = shlex.split(command)
    compose = yaml.safe_load((PROJECT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(procfile) == {"web", "worker", "scheduler"}
    for name, command in procfile.items():
        given = services[name]["command"]
        assert (shlex.split(given) if isinstance(given, str) else given) == command, name
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "--appendonly yes" in services["redis"]["command"]
    image = (PROJECT / "deploy" / "Dockerfile").read_text()
    cmd = re.search(r'^CMD (\[.*\])$', image, re.M).group(1)
    assert json.loads(cmd) == procfile["web"]


def test_env_example_lists_every_setting_the_app_reads():
    example = (PROJECT / "deploy" / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M))
    read = set()
    for source in Path(PROJECT / "shophub").rglob("*.py"):
        read |= set(re.findall(r'env\.get\("([A-Z][A-Z0-9_]+)"', source.read_text()))
    missing = read - listed - {"STRIPE_API_BASE", "MAIL_OUTBOX", "INLINE_JOB_WAIT_SECONDS"}
    assert not missing, f"deploy/.env.example does not list {sorted(missing)}"
