"""Webhook ingest under load: signed ~10 KB deliveries into `tact serve` (gunicorn), real Redis, real storage.

    .venv/bin/python bench/ingest.py [--requests N] [--concurrency C] [--rate R --duration S]
                                     [--database sqlite|postgresql] [--workers W]

Starts its own Redis (a private `redis-server` on a free port, or --redis-url), a fresh SQLite
file or a private schema in PostgreSQL's `test` database, and `tact serve` on a free loopback
port. Then a closed-loop run (C clients, N requests: throughput and latency) and an open-loop
run at a fixed rate (latency measured from each request's scheduled time, so a stalled server
shows as queueing instead of hiding it). Checks that every accepted delivery has a row and a
queued message, prints the figures, and stops everything it started.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import redis
import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import payloads  # noqa: E402  (the same builders the tests use)
from tests.services import free_port  # noqa: E402
from tests.services import stop_process as stop  # noqa: E402

SECRET = "bench-webhook-secret"
POSTGRES_URL = os.environ.get("TACT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TACT = str(Path(sys.executable).with_name("tact"))


def main() -> None:
    args = parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tact-bench-")))
        redis_url = args.redis_url or stack.enter_context(private_redis(tmp))
        database_url = stack.enter_context(database(args.database, tmp))
        env = server_env(redis_url, database_url)
        subprocess.run([TACT, "db", "upgrade"], env=env, cwd=tmp, check=True, capture_output=True)
        base = stack.enter_context(tact_serve(env, tmp, args.workers))
        print(f"tact serve: {args.workers} gunicorn workers x 4 threads, {args.database}, redis; "
              f"payload {len(make_requests(1, args.payload_kb)[0][0]) / 1024:.1f} KB", flush=True)
        url = f"{base}/webhooks/github"
        run_closed(url, make_requests(min(50, args.requests), args.payload_kb), args.concurrency)  # warm-up
        closed = run_closed(url, make_requests(args.requests, args.payload_kb), args.concurrency)
        report(f"closed loop, {args.concurrency} clients", closed)
        total = int(args.rate * args.duration)
        opened = run_open(url, make_requests(total, args.payload_kb), args.rate)
        report(f"open loop at {args.rate:g}/s for {args.duration:g} s", opened)
        check_nothing_lost(database_url, redis_url, closed, opened, warmup=min(50, args.requests))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="closed-loop requests (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="closed-loop clients (default 8)")
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s (default 200)")
    parser.add_argument("--duration", type=float, default=5.0, help="open-loop seconds (default 5)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--payload-kb", type=float, default=10.0, help="approximate body size (default 10)")
    parser.add_argument("--redis-url", help="use this Redis (a DB nobody else uses) instead of a private one")
    args = parser.parse_args()
    bounded = 0 < args.requests <= 100_000 and 0 < args.concurrency <= 64
    if not (bounded and 0 < args.rate * args.duration <= 50_000):
        parser.error("keep it bounded: requests <= 100000, concurrency <= 64, rate x duration <= 50000")
    return args


# --- what it starts ----------


@contextmanager
def private_redis(tmp: Path):
    if shutil.which("redis-server") is None:
        sys.exit("no redis-server on PATH; pass --redis-url redis://127.0.0.1:6379/<unused db>")
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        url = f"redis://127.0.0.1:{port}/0"
        wait_until(lambda: _redis_answers(url), 10, "redis-server did not start")
        yield url
    finally:
        stop(proc)


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.ConnectionError:
        return False


@contextmanager
def database(kind: str, tmp: Path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    schema = f"tact_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def server_env(redis_url: str, database_url: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    return keep | {"REDIS_URL": redis_url, "DATABASE_URL": database_url, "GITHUB_WEBHOOK_SECRET": SECRET,
                   "SECRET_KEY": "bench-secret-key-0123456789", "TACT_LOG_LEVEL": "WARNING"}


@contextmanager
def tact_serve(env: dict[str, str], tmp: Path, workers: int):
    port = free_port()
    log = (tmp / "serve.log").open("wb")
    command = [TACT, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(command, env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: proc.poll() is None and _healthy(base), 30,
                   f"tact serve did not become healthy:\n{(tmp / 'serve.log').read_text()[-3000:]}")
        yield base
    finally:
        stop(proc)
        log.close()


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def wait_until(predicate, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    sys.exit(message)


# --- load ----------


def make_requests(count: int, payload_kb: float) -> list[tuple[bytes, dict[str, str]]]:
    """Signed review-comment deliveries padded to about ``payload_kb`` (real ones are 10-30 KB)."""
    base = len(json.dumps(payloads.review_comment("")))
    words = "Could we name this for what it holds? " * int(max(0, payload_kb * 1024 - base) / 38 + 1)
    body = words[: max(0, int(payload_kb * 1024) - base)]
    return [payloads.signed(payloads.review_comment(body), SECRET) for _ in range(count)]


def _send(session: requests.Session, url: str, body: bytes, headers: dict) -> int | str:
    try:
        return session.post(url, data=body, headers=headers, timeout=15).status_code
    except requests.RequestException as exc:
        return type(exc).__name__


def run_closed(url: str, batch: list, concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock, items = threading.Lock(), iter(batch)

    def client() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    item = next(items, None)
                if item is None:
                    return
                start = time.perf_counter()
                status = _send(session, url, *item)
                with lock:
                    latencies.append(time.perf_counter() - start)
                    statuses[status] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, "statuses": statuses, "elapsed": time.perf_counter() - started}


def run_open(url: str, batch: list, rate: float) -> dict:
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock, local = threading.Lock(), threading.local()

    def fire(due: float, item) -> None:
        if not hasattr(local, "session"):  # one keep-alive connection per pool thread
            local.session = requests.Session()
        status = _send(local.session, url, *item)
        with lock:
            latencies.append(time.perf_counter() - due)
            statuses[status] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for i, item in enumerate(batch):
            due = started + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(fire, due, item)
    return {"latencies": latencies, "statuses": statuses, "elapsed": time.perf_counter() - started}


# --- figures ----------


def report(title: str, run: dict) -> None:
    lat = sorted(run["latencies"])
    ms = [x * 1000 for x in lat]
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{title}: {len(lat)} requests in {run['elapsed']:.2f} s = {len(lat) / run['elapsed']:.0f} req/s; "
          f"latency p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms; "
          f"answers {dict(sorted(run['statuses'].items(), key=str))}", flush=True)


def check_nothing_lost(database_url: str, redis_url: str, *runs: dict, warmup: int) -> None:
    accepted = warmup + sum(r["statuses"].get(202, 0) for r in runs)
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.scalar(text("SELECT count(*) FROM deliveries"))
    engine.dispose()
    client = redis.Redis.from_url(redis_url)
    queued = client.llen("celery")
    client.close()
    verdict = "ok" if rows == queued == accepted else "MISMATCH"
    print(f"nothing lost: {accepted} accepted (incl. warm-up), {rows} rows, {queued} queued: {verdict}")


if __name__ == "__main__":
    main()
