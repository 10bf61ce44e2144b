"""Mail job throughput: how many mails a minute RQ workers send, with RQ's worker and with ours.

Queues N welcome mails (outbox files, no SMTP) on a redis-server of its own, then drains the
queue with `rq worker --burst`: once with RQ's default worker class, which builds the app in
every work-horse, and once with `shophub.platform.worker.Worker`, which builds it before the
first fork. Not a test: it prints the figures and exits 0.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.catalog import free_port

ROOT = Path(__file__).resolve().parent.parent
CLASSES = {"rq default": None, "shophub": "shophub.platform.worker.Worker"}


def queue_mails(env: dict, count: int, prefix: str) -> None:
    """Commit `count` welcome mails; each goes to RQ after its commit."""
    code = (
        "from shophub import create_app\n"
        "from shophub.extensions import db\n"
        "from shophub.platform import jobs\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    for n in range({count}):\n"
        f"        jobs.queue_mail(f'{prefix}:{{n}}', f'buyer{{n}}@example.com', 'Welcome',\n"
        "                        'welcome', name='Kim', shop_url='http://shop.test/')\n"
        "        db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def drain(env: dict, worker_class: str | None, workers: int) -> float:
    """Seconds until `workers` burst workers have emptied the queue."""
    command = [str(Path(sys.executable).with_name("rq")), "worker", "--burst", "--url",
               env["REDIS_URL"], "shophub-maintenance", "shophub"]
    if worker_class:
        command[2:2] = ["--worker-class", worker_class]
    started = time.monotonic()
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(workers)]
    for process in processes:
        process.wait()
    return time.monotonic() - started


def main() -> None:
    """Run each worker class over the same number of mails and print mails per minute."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        sys.exit("redis-server is needed (Debian package redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="shophub-bench-jobs-"))
    port = free_port()
    redis = subprocess.Popen([redis_server, "--port", str(port), "--save", "", "--appendonly",
                              "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
           "SECRET_KEY": "bench", "REDIS_URL": f"redis://127.0.0.1:{port}/0",
           "JOB_RETRY_INTERVALS": "0"}
    env.pop("MAIL_SERVER", None)
    try:
        time.sleep(0.5)
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        print(f"{args.mails} mails, {args.workers} workers (rq worker --burst), outbox files")
        for label, worker_class in CLASSES.items():
            env["MAIL_OUTBOX"] = str(folder / f"outbox-{label.replace(' ', '-')}")
            queue_mails(env, args.mails, label.replace(' ', '-'))
            seconds = drain(env, worker_class, args.workers)
            sent = len(list(Path(env["MAIL_OUTBOX"]).glob("*.eml")))
            print(f"{label:>12}: {sent} sent in {seconds:5.1f} s = "
                  f"{sent / seconds * 60:6.0f} mails a minute")
    finally:
        redis.terminate()
        redis.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
