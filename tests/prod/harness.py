"""The production shape on one machine: deploy/Procfile's processes under honcho behind nginx.

PostgreSQL gets a database of the run's own on TEST_DATABASE_URL's server; Redis, nginx and
the SMTP server are started here on free ports; nothing shared is touched.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.services import OwnRedis, free_port, require_service, wait_until

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT / "deploy" / "nginx" / "shophub.conf.template"
HONCHO_LINE = re.compile(r"^\d\d:\d\d:\d\d (?P<process>\S+)\s*\| (?P<text>.*)$")


class CollectingSmtp:
    """An SMTP server that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        """Keep the message and accept it."""
        self.messages.append(envelope.content)
        return "250 OK"


@dataclass
class Shop:
    """The running production shape and where to reach each part."""

    folder: Path
    env: dict
    https_port: int
    web_ports: list[int]
    cert: Path
    smtp: CollectingSmtp
    controller: Controller
    redis: OwnRedis
    database_url: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def base(self) -> str:
        """The shop's public address, through the proxy."""
        return f"https://127.0.0.1:{self.https_port}"

    def log_lines(self, name: str) -> list[tuple[str, str]]:
        """(process, text) of every line a process group wrote, honcho's prefix taken off."""
        lines = []
        for raw in (self.folder / f"{name}.log").read_text(errors="replace").splitlines():
            match = HONCHO_LINE.match(raw)
            if match:
                lines.append((match["process"], match["text"]))
            elif raw.strip():
                lines.append((name, raw))
        return lines

    def stop(self, name: str) -> None:
        """Stop one process group (honcho passes SIGTERM on to its processes)."""
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def require_binary(binary: str) -> str:
    """The path of a program the run needs (skipped, or failed under CI, when missing)."""
    # The virtualenv's own scripts first (honcho), then PATH, then sbin (Debian's nginx).
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", ""),
                              "/usr/sbin"])
    path = shutil.which(binary, path=search)
    if path is None:
        require_service(f"{binary} is not installed; the production-shape test needs it")
    return path


def own_database() -> str:
    """A fresh PostgreSQL database for the run, on TEST_DATABASE_URL's server."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        require_service("TEST_DATABASE_URL is not set; the production shape runs on PostgreSQL")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text("DROP DATABASE IF EXISTS shophub_prod WITH (FORCE)"))
            connection.execute(sa.text("CREATE DATABASE shophub_prod"))
    except sa.exc.OperationalError as error:
        require_service(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {error}")
    finally:
        admin.dispose()
    return base.rsplit("/", 1)[0] + "/shophub_prod"


def drop_database(url: str) -> None:
    """Drop the run's database."""
    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text("DROP DATABASE IF EXISTS shophub_prod WITH (FORCE)"))
    finally:
        admin.dispose()


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [require_binary("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


def render_nginx(folder: Path, web_ports: list[int], https_port: int, cert: Path, key: Path,
                 *, compress: bool = True) -> Path:
    """deploy/'s server config filled in for this run, inside a main config of the run's."""
    values = {
        "SHOPHUB_SERVER_NAME": "127.0.0.1 localhost",
        "SHOPHUB_UPSTREAM": " ".join(f"server 127.0.0.1:{port};" for port in web_ports),
        "SHOPHUB_TLS_CERT": str(cert), "SHOPHUB_TLS_KEY": str(key),
        "SHOPHUB_STATIC_ROOT": str(PROJECT / "static"),
        "SHOPHUB_HTTP_PORT": str(free_port()), "SHOPHUB_HTTPS_PORT": str(https_port),
    }
    server = TEMPLATE.read_text()
    for name, value in values.items():
        server = server.replace("${" + name + "}", value)
    assert "${SHOPHUB_" not in server, "the template names a value the test does not give"
    if not compress:
        server = server.replace("gzip on;", "gzip off;")
    (folder / "shophub.conf").write_text(server)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temp).mkdir(exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    main = f"""
{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  include {folder}/shophub.conf;
}}
"""
    path = folder / "nginx.conf"
    path.write_text(main)
    return path


def shop_environment(folder: Path, database_url: str, redis_url: str, smtp_port: int,
                     https_port: int) -> dict:
    """The settings every process of the shop gets, as deploy/.env would give them."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("STRIPE", "MAIL_", "STORE_", "SESSION_", "REDIS", "LOG_",
                                  "METRICS", "MEDIA", "S3_", "PROMETHEUS"))}
    metrics_dir = folder / "metrics"
    metrics_dir.mkdir()
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "SHOPHUB_ENV": "production",
        "SECRET_KEY": "production-shape-test-" + "k" * 32,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "STORE_URL": f"https://127.0.0.1:{https_port}",
        "SESSION_COOKIE_SECURE": "1",
        "PREFERRED_URL_SCHEME": "https",
        "PROXY_HOPS": "1",
        "COMPRESS_RESPONSES": "0",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_USE_TLS": "0",
        "MAIL_FROM_ADDRESS": "shop@example.com",
        "LOG_FORMAT": "json",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "MEDIA_ROOT": str(folder / "media"),
        "JOB_RETRY_INTERVALS": "1,2,5",
        # The buyers all come from 127.0.0.1: the per-address limits are those of a crowd.
        "RATELIMIT_ORDERS": "1000 per minute",
        "RATELIMIT_POSTS": "5000 per minute",
        "RATELIMIT_COUPONS": "1000 per minute",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _allow_a_crowd_at_one_address(database_url: str) -> None:
    """Let the default store hold more unpaid orders per address than the 6 buyers at once."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(
                "UPDATE store_settings SET max_pending_orders = 100 "
                "WHERE id = (SELECT id FROM store WHERE is_default)"))
    finally:
        engine.dispose()


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"


def _start(shop: Shop, name: str, command: list[str]) -> None:
    log = open(shop.folder / f"{name}.log", "wb")  # noqa: SIM115 (kept open by the process)
    shop.processes[name] = subprocess.Popen(command, cwd=PROJECT, env=shop.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)


def _ready(shop: Shop) -> bool:
    import requests

    try:
        return requests.get(shop.base + "/readyz", verify=str(shop.cert), timeout=3).ok
    except requests.RequestException:
        return False


def start_shop(folder: Path) -> Shop:
    """Migrate and seed the shop, then start web x2, worker x2, the scheduler and nginx."""
    nginx = require_binary("nginx")
    honcho = require_binary("honcho")
    database_url = own_database()
    redis = OwnRedis(folder)
    redis.start()
    smtp = CollectingSmtp()
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
    controller.start()
    https_port, web_base = free_port(), free_port()
    cert, key = make_certificate(folder)
    env = shop_environment(folder, database_url, redis.url, controller.port, https_port)
    # honcho numbers each web process's PORT from -p: web.1 on the base, web.2 on base + 1.
    shop = Shop(folder=folder, env=env, https_port=https_port,
                web_ports=[web_base, web_base + 1], cert=cert, smtp=smtp,
                controller=controller, redis=redis, database_url=database_url)
    _run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env)
    _run([sys.executable, "-m", "flask", "--app", "wsgi", "shophub", "seed-demo"], env)
    _allow_a_crowd_at_one_address(database_url)
    procfile = ["-f", "deploy/Procfile", "-d", str(PROJECT)]
    _start(shop, "app", [honcho, *procfile, "start", "--no-colour", "-p", str(web_base),
                         "-c", "web=2,worker=2", "web", "worker"])
    # The scheduler under honcho of its own, so that the test can stop it alone.
    _start(shop, "scheduler", [honcho, *procfile, "start", "--no-colour", "scheduler"])
    config = render_nginx(folder, shop.web_ports, https_port, cert, key)
    _start(shop, "nginx", [nginx, "-p", str(folder), "-c", str(config)])
    try:
        wait_until(lambda: _ready(shop), 90, "the shop to be ready through the proxy")
    except AssertionError:
        stop_shop(shop)
        raise
    return shop


def stop_shop(shop: Shop) -> None:
    """Stop every process and drop the run's database."""
    for name in list(shop.processes):
        shop.stop(name)
    shop.controller.stop()
    if shop.redis.process is not None and shop.redis.process.poll() is None:
        shop.redis.kill()
    time.sleep(0.2)
    drop_database(shop.database_url)
