"""Webhook ingest under load: Tact's receiver against a bare endpoint, same gunicorn settings, same run.

    .venv/bin/python bench/ingest.py [--duration S] [--rounds N] [--connections C] [--workers W]
                                     [--payload-kb K] [--database postgresql|sqlite] [--no-process]

The baseline is a bare Flask endpoint served with `tact serve`'s own gunicorn settings that only
checks the signature and answers 202. Tact's receiver runs as `tact serve` on PostgreSQL (a private
schema in database `test`) with a private Redis. Both get the same signed ~10 KB review comment
from Debian's `wrk` (a C load generator, so the client does not starve the servers on a small
machine), each request with its own X-GitHub-Delivery GUID, in N rounds that alternate the two
servers so both see the same load from the rest of the machine. Prints both rates side by side per
round, the ratio, p50/p99 latency at C connections, how the connections sat on the gunicorn
workers halfway through (`workers`, e.g. 9:7) and every non-202 answer or socket error, and
judges the median round against the target. Then checks that
every accepted delivery has its row and its queued message, and runs one Celery worker against the
local fake GitHub until every row has left `received` (the repository has not opted in, so each
ends `skipped`). Loopback only; bounded in time; stops everything it started.

Measured with `.venv/bin/python bench/ingest.py --duration 6 --rounds 3 --no-process` (2 workers,
16 connections) on a 2-core machine shared with other work (load average 2-11 during the runs):
the receiver of main before (12 threads, a leading request writes the batch) and after two changes
(task messages filled in from a template, service/queue/messages.py; a listening socket per
gunicorn worker, service/cli/server.py), runs alternating a minute apart; the median round of each:

    before: 12 runs, ratio 0.36x-0.58x (median 0.47x), p99 25-51 ms (median 44.5), target met in 7 of 12
    after:  12 runs, ratio 0.31x-0.61x (median 0.46x), p99 20-43 ms (median 36.6), target met in 10 of 12

no errors in any, every delivery stored and queued (and, with the worker, every row processed).
Medians of all rounds: Tact 795/s -> 987/s, bare 1,798/s -> 1,976/s; server CPU per request, the
figure a busy machine distorts least, Tact 1.31 ms -> 1.17 ms, bare 0.66 ms -> 0.60 ms. The ratio
did not rise because the bare endpoint gained more from the sockets per worker than Tact did: with one shared socket,
wrk's 16 keep-alive connections stayed with the worker that accepted them (10:6, 12:4, once
16:0), and a bare worker holding most of them was bound by its GIL; with a socket each, the
kernel spreads them by hash (9:7 or 8:8 mostly, the `workers` column). In four runs of each
alternating in the same minutes, the template alone (shared socket) gave 0.54x-0.62x (median
0.59x; bare 1,632/s, Tact 934/s, medians of all rounds) and the template with sockets per worker
0.31x-0.57x (median 0.45x; bare 2,464/s, Tact 1,011/s). Before all these, the group commit
(service/web/recorder.py) had taken the receiver from 0.21x to 0.32x.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import redis
import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from service.cli.server import options as server_options  # noqa: E402
from tests import payloads  # noqa: E402  (the same builders the tests use)
from tests.services import ESTABLISHED, celery_worker_process, free_port, socket_owners  # noqa: E402
from tests.services import stop_process as stop  # noqa: E402

SECRET = "bench-webhook-secret"
POSTGRES_URL = os.environ.get("TACT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TACT = str(Path(sys.executable).with_name("tact"))
EVENT = "pull_request_review_comment"
TARGET_RATIO, TARGET_P99_MS = 0.4, 50.0
# Base URL -> session id of the server serving it, for its CPU figure.
SESSIONS: dict[str, int] = {}
# Per-request GUIDs (dedup would turn repeats into 200s), status counts per thread, figures as JSON.
WRK_SCRIPT = """
local threads = {}
function setup(thread) thread:set("tid", #threads + 1); table.insert(threads, thread) end
function init(args)
  local f = assert(io.open(args[1], "rb")); wrk.body = f:read("*a"); f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-GitHub-Event"] = args[3]
  wrk.headers["X-Hub-Signature-256"] = args[2]
  prefix, n, codes = args[4], 0, {}
end
function request()
  n = n + 1
  wrk.headers["X-GitHub-Delivery"] = string.format("%s-%d-%d", prefix, tid, n)
  return wrk.format()
end
function response(status) codes[status] = (codes[status] or 0) + 1 end
function done(summary, latency)
  local all = {}
  for _, t in ipairs(threads) do
    for status, count in pairs(t:get("codes")) do all[tostring(status)] = (all[tostring(status)] or 0) + count end
  end
  local parts = {}
  for status, count in pairs(all) do table.insert(parts, string.format('"%s": %d', status, count)) end
  local e = summary.errors
  io.write(string.format('WRK {"requests": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"socket_errors": %d, "codes": {%s}}\\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
"""


def main() -> None:
    args = parse_args()
    if args.serve_bare:
        return serve_bare(args.serve_bare, args.workers)
    if shutil.which("wrk") is None:
        sys.exit("bench/ingest.py needs Debian's wrk load generator: apt-get install -y wrk "
                 "(`make bench` installs it when missing)")
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tact-bench-")))
        body, headers = make_request(args.payload_kb)
        (tmp / "body.json").write_bytes(body)
        (tmp / "load.lua").write_text(WRK_SCRIPT)
        load = [str(tmp / "load.lua"), str(tmp / "body.json"), headers["X-Hub-Signature-256"], EVENT]
        gunicorn = server_options(host="127.0.0.1", port=0, workers=args.workers)
        print(f"{args.workers} gunicorn workers x {gunicorn['threads']} threads ({gunicorn['worker_class']}) for "
              f"both; signed body {len(body) / 1024:.1f} KB; wrk, {args.connections} connections, "
              f"{args.duration:g} s per run, {args.rounds} rounds alternating bare and Tact", flush=True)
        bare_base = stack.enter_context(bare_serve(tmp, args.workers))
        redis_url = stack.enter_context(private_redis(tmp))
        database_url = stack.enter_context(database(args.database, tmp))
        env = server_env(redis_url, database_url)
        subprocess.run([TACT, "db", "upgrade"], env=env, cwd=tmp, check=True, capture_output=True)
        tact_base = stack.enter_context(tact_serve(env, tmp, args.workers))
        rounds = [(measure(f"{bare_base}/webhooks/github", load, args),
                   measure(f"{tact_base}/webhooks/github", load, args)) for _ in range(args.rounds)]
        report(rounds, args)
        rows = check_stored(database_url, redis_url, [tact for _, tact in rounds], args.connections)
        if not args.no_process:
            # One worker runs a few dozen of these a second; a faster receiver leaves it more to do.
            check_processed(stack, env, tmp, database_url, rows, args.process_timeout or max(240.0, rows * 0.025))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measured run (default 8)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--payload-kb", type=float, default=10.0, help="approximate body size (default 10)")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each server (default 3)")
    parser.add_argument("--no-process", action="store_true", help="skip running the worker afterwards")
    parser.add_argument("--process-timeout", type=float, default=None,
                        help="seconds for the worker (default 240, or 25 ms per stored row when that is longer)")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (0 < args.duration <= 60 and 0 < args.connections <= 64 and 0 < args.workers <= 8
            and 0 < args.rounds <= 5):
        parser.error("keep it bounded: duration <= 60 s, connections <= 64, workers <= 8, rounds <= 5")
    return args


# --- the two servers ----------


def bare_app():
    """The baseline: read the body, check the signature as Tact does, answer 202. Nothing else."""
    import hashlib
    import hmac

    from flask import Flask, request

    app = Flask("bare")

    @app.post("/webhooks/github")
    def receive():
        expected = "sha256=" + hmac.new(SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), request.headers.get("X-Hub-Signature-256", "").encode()):
            return {"error": "bad signature"}, 401
        return {"outcome": "queued"}, 202

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


def serve_bare(port: int, workers: int) -> None:
    from service.cli.server import run

    run(host="127.0.0.1", port=port, workers=workers, load=bare_app)


@contextmanager
def bare_serve(tmp: Path, workers: int):
    port = free_port()
    command = [sys.executable, __file__, "--serve-bare", str(port), "--workers", str(workers)]
    with _server(command, dict(os.environ), tmp, tmp / "bare.log", port) as base:
        yield base


@contextmanager
def tact_serve(env: dict[str, str], tmp: Path, workers: int):
    port = free_port()
    command = [TACT, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with _server(command, env, tmp, tmp / "serve.log", port) as base:
        yield base


@contextmanager
def _server(command: list[str], env: dict[str, str], cwd: Path, log_path: Path, port: int):
    log = log_path.open("wb")
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    SESSIONS[base] = proc.pid  # started in a session of its own: the master and its workers
    try:
        wait_until(lambda: proc.poll() is None and _healthy(base), 30,
                   f"{command[0]} did not become healthy:\n{log_path.read_text()[-3000:]}")
        yield base
    finally:
        stop(proc)
        log.close()


def cpu_seconds(session: int) -> float:
    """User + system CPU used so far by every process of a session (from /proc; Linux only)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[3]) == session:  # after the name: state ppid pgrp session ... utime(11) stime(12)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def private_redis(tmp: Path):
    if shutil.which("redis-server") is None:
        sys.exit("no redis-server on PATH (apt-get install -y redis-server)")
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
                   "SECRET_KEY": "bench-secret-key-0123456789"}


def wait_until(predicate, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    sys.exit(message)


# --- load and figures ----------


def make_request(payload_kb: float) -> tuple[bytes, dict[str, str]]:
    """One signed review comment padded to about ``payload_kb`` (real ones are 10-30 KB)."""
    base = len(json.dumps(payloads.review_comment("")))
    words = "Could we name this for what it holds? " * int(max(0, payload_kb * 1024 - base) / 38 + 1)
    return payloads.signed(payloads.review_comment(words[: max(0, int(payload_kb * 1024) - base)]), SECRET)


def measure(url: str, load: list[str], args) -> dict:
    """A short warm-up (pools, first connections, a server idle since its last turn), then the measured run."""
    wrk(url, load, f"warm-{uuid.uuid4().hex[:8]}", 2.0, args.connections)
    session = SESSIONS[url.rsplit("/webhooks/", 1)[0]]
    split: list[int] = []
    # Halfway through, how wrk's connections sit on the workers (keep-alive: they stay where accepted).
    probe = threading.Timer(args.duration / 2, lambda: split.extend(
        sorted(socket_owners(int(url.split(":")[2].split("/")[0]), ESTABLISHED).values(), reverse=True)))
    before = cpu_seconds(session)
    probe.start()
    run = wrk(url, load, f"run-{uuid.uuid4().hex[:8]}", args.duration, args.connections)
    probe.join()
    # CPU per request is what a busy shared machine does not distort; requests/s it does.
    return run | {"cpu_ms": (cpu_seconds(session) - before) * 1000 / max(1, run["requests"]),
                  "split": ":".join(map(str, split)) or "?"}


def wrk(url: str, load: list[str], prefix: str, seconds: float, connections: int) -> dict:
    script, *script_args = load
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
               "-s", script, url, "--", *script_args, prefix]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    return json.loads(line[4:]) | {"prefix": prefix}


def report(rounds: list[tuple[dict, dict]], args) -> None:
    """Each round's pair side by side; the verdict uses the median round (both sides of a round share its load)."""
    def rate(run: dict) -> float:
        return run["requests"] / run["seconds"]

    def answers(run: dict) -> str:
        other = {k: v for k, v in run["codes"].items() if k != "202"}
        return f"{run['codes'].get('202', 0)} x 202, other answers {other or 'none'}, " \
               f"socket errors {run['socket_errors']}"

    print(f"{'':28s}{'requests/s':>12s}{'p50 ms':>9s}{'p99 ms':>9s}{'max ms':>9s}{'CPU ms/req':>12s}"
          f"{'workers':>9s}   ratio")
    for number, (bare, tact) in enumerate(rounds, 1):
        for name, run in ((f"{number}. bare Flask endpoint", bare), (f"{number}. Tact ({args.database}+redis)", tact)):
            ratio = f"{rate(tact) / rate(bare):5.2f}x" if run is tact else "     "
            print(f"{name:28s}{rate(run):12.0f}{run['p50_us'] / 1000:9.1f}{run['p99_us'] / 1000:9.1f}"
                  f"{run['max_us'] / 1000:9.1f}{run['cpu_ms']:12.2f}{run['split']:>9s}   {ratio}   {answers(run)}")
    bare, tact = sorted(rounds, key=lambda pair: rate(pair[1]) / rate(pair[0]))[len(rounds) // 2]
    ratio = rate(tact) / rate(bare)
    errors = sum(v for _, t in rounds for k, v in t["codes"].items() if k != "202") + \
        sum(t["socket_errors"] for _, t in rounds)
    met = ratio >= TARGET_RATIO and tact["p99_us"] / 1000 < TARGET_P99_MS and errors == 0
    print(f"median round: Tact {rate(tact):.0f}/s against bare {rate(bare):.0f}/s = {ratio:.2f}x, Tact p99 "
          f"{tact['p99_us'] / 1000:.1f} ms, {errors} errors in all rounds (target >= {TARGET_RATIO}x, p99 < "
          f"{TARGET_P99_MS:g} ms, zero errors): {'met' if met else 'NOT MET'}", flush=True)
    cpu = sorted(bare["cpu_ms"] / tact["cpu_ms"] for bare, tact in rounds)[len(rounds) // 2]
    print(f"server CPU per request, median round: bare / Tact = {cpu:.2f}x (the rate ratio a machine of "
          "its own would give, if the servers were CPU-bound; PostgreSQL's and Redis's share not counted)")


def check_stored(database_url: str, redis_url: str, runs: list[dict], connections: int) -> int:
    """Every 202 has its row and each row its message; wrk may stop with a few requests in flight."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = sum(conn.scalar(text("SELECT count(*) FROM deliveries WHERE guid LIKE :p"), {"p": run["prefix"] + "-%"})
                   for run in runs)
        total = conn.scalar(text("SELECT count(*) FROM deliveries"))
    engine.dispose()
    client = redis.Redis.from_url(redis_url)
    queued = client.llen("celery")
    client.close()
    accepted = sum(run["codes"].get("202", 0) for run in runs)
    ok = 0 <= rows - accepted <= connections * len(runs) and queued == total
    print(f"stored: {accepted} answered 202, {rows} rows ({rows - accepted} still in flight when wrk "
          f"stopped), {total} rows with the warm-ups, {queued} messages queued: {'ok' if ok else 'MISMATCH'}",
          flush=True)
    return total


def check_processed(stack: ExitStack, env: dict, tmp: Path, database_url: str, rows: int, timeout: float) -> None:
    """One worker (2 processes) against the local fake GitHub until no row is left `received`."""
    from tests.fakegithub.control import FakeGitHub

    fake = FakeGitHub().start()
    stack.callback(fake.stop)
    fake.reset()
    fake.state.add_installation(account="octo", id=payloads.INSTALLATION_ID)
    fake.state.add_repository(payloads.REPO, payloads.INSTALLATION_ID)
    env = env | {"GITHUB_APP_ID": str(fake.app_id), "GITHUB_PRIVATE_KEY": fake.private_key_pem,
                 "GITHUB_API_URL": fake.url, "TACT_LOG_LEVEL": "WARNING"}
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    started = time.monotonic()
    with celery_worker_process(env, tmp / "worker.log", concurrency=2):
        states: dict[str, int] = {}
        while time.monotonic() - started < timeout:
            with engine.connect() as conn:
                states = dict(conn.execute(text("SELECT state, count(*) FROM deliveries GROUP BY state")).all())
            if not states.get("received") and not states.get("processing"):
                break
            time.sleep(1)
    engine.dispose()
    finished = sum(v for k, v in states.items() if k not in ("received", "processing"))
    verdict = "ok" if finished == rows else "NOT ALL PROCESSED"
    print(f"processed: {finished} of {rows} rows finished in {time.monotonic() - started:.0f} s "
          f"{dict(sorted(states.items()))}: {verdict}", flush=True)


if __name__ == "__main__":
    main()
