"""End-to-end latency: a signed webhook into `tact serve` until its check run is complete on a local fake GitHub.

    .venv/bin/python bench/e2e.py [--comments N] [--rate R] [--database sqlite|postgresql] [--concurrency C]
    .venv/bin/python bench/e2e.py --burst 30

Starts a private Redis, a fresh database, the fake GitHub from tests/fakegithub (in this process,
on loopback), `tact serve` and one Celery worker (prefork, C processes). Then sends N review
comments (two in three harsh, each on its own pull request) at R per second and measures, for
each, the time from sending the webhook to the completed "Review tone" run (harsh comments) or to
the delivery being done (neutral ones, which publish nothing). Prints p50/p90/p99 and stops
everything it started. Loopback only; bounded in count and time.

`--burst N` instead sends one review of N harsh comments on one pull request, eight at a time,
and prints how many check runs and check-run writes it cost, the closest two writes, and how
long until the final run showed all N.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import ingest  # noqa: E402  (its Redis, database and server helpers)

from tests import payloads  # noqa: E402
from tests.fakegithub.control import FakeGitHub  # noqa: E402
from tests.services import celery_worker_process  # noqa: E402

HARSH = ["You broke the build again.", "Why didn't you just use a dict? Any beginner knows this.",
         "Obviously this is wrong.", "Did you even run the tests?"]
NEUTRAL = ["This leaks the file handle.", "nit: rename to parse_header", "Could we add a test for the empty case?"]


def _patient_healthy(base: str) -> bool:
    """A loaded machine may take more than ingest's 2 s to answer the first /healthz."""
    try:
        return requests.get(f"{base}/healthz", timeout=10).status_code == 200
    except requests.RequestException:
        return False


def main() -> None:
    args = parse_args()
    ingest._healthy = _patient_healthy
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tact-e2e-")))
        fake = FakeGitHub().start()
        stack.callback(fake.stop)
        fake.reset()
        redis_url = stack.enter_context(ingest.private_redis(tmp))
        database_url = stack.enter_context(ingest.database(args.database, tmp))
        env = ingest.server_env(redis_url, database_url) | {
            "GITHUB_APP_ID": str(fake.app_id), "GITHUB_PRIVATE_KEY": fake.private_key_pem,
            "GITHUB_API_URL": fake.url, "GITHUB_WEBHOOK_SECRET": ingest.SECRET}
        ingest.subprocess.run([ingest.TACT, "db", "upgrade"], env=env, cwd=tmp, check=True, capture_output=True)
        base = stack.enter_context(ingest.tact_serve(env, tmp, 2))
        stack.enter_context(celery_worker_process(env, tmp / "worker.log", concurrency=args.concurrency))
        if args.burst:
            world(fake, 1)
            burst(f"{base}/webhooks/github", fake, args)
            return
        world(fake, args.comments)
        latencies = run(f"{base}/webhooks/github", fake, database_url, args)
        report(latencies, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=60, help="webhooks to send (default 60)")
    parser.add_argument("--rate", type=float, default=4.0, help="webhooks per second (default 4)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up waiting after this many seconds")
    parser.add_argument("--burst", type=int, default=0, help="one review of N comments on one pull request")
    return parser.parse_args()


def burst(url: str, fake: FakeGitHub, args) -> None:
    """N comments on PR #1 at once; the figures come from the fake GitHub's request log."""
    from concurrent.futures import ThreadPoolExecutor

    sha = f"{1:040x}"
    bodies = [(payloads.review_comment(HARSH[i % len(HARSH)], pull_number=1, line=10 + i, head_sha=sha), i)
              for i in range(args.burst)]
    session = requests.Session()

    def post(item):
        data, headers = payloads.signed(item[0], ingest.SECRET, guid=f"burst-{item[1]}")
        return session.post(url, data=data, headers=headers, timeout=10).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, bodies))
    wanted = {10 + i for i in range(args.burst)}
    deadline = started + args.timeout
    while time.monotonic() < deadline:
        runs = [r for r in fake.check_runs if r.head_sha == sha and r.status == "completed"]
        if runs and wanted <= {a.start_line for a in runs[-1].annotations}:
            break
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    writes = [r for r in fake.requests if r.method in ("POST", "PATCH") and "/check-runs" in r.path]
    gaps = [b.at - a.at for a, b in zip(writes, writes[1:], strict=False)]
    shown = {a.start_line for a in runs[-1].annotations} if runs else set()
    print(f"burst of {args.burst} comments on one pull request ({statuses.count(202)} accepted), "
          f"{args.concurrency} worker processes, {args.database}:")
    print(f"  check runs created {len(fake.check_runs):3d}   check-run writes {len(writes):3d}   "
          f"writes under 1 s apart {sum(g < 1.0 for g in gaps):3d}   closest {min(gaps) if gaps else 0:5.2f} s")
    print(f"  final run shows {len(wanted & shown)}/{args.burst} comments; "
          f"{'all shown' if wanted <= shown else 'gave up'} after {elapsed:5.1f} s")


def world(fake: FakeGitHub, count: int) -> None:
    fake.state.add_installation(account="octo", id=payloads.INSTALLATION_ID)
    fake.state.add_repository(payloads.REPO, payloads.INSTALLATION_ID)
    fake.state.add_file(payloads.REPO, ".github/tact.yml", "enabled: true\n")
    for number in range(1, count + 1):
        fake.state.add_pull_request(payloads.REPO, number, f"{number:040x}")


def run(url: str, fake: FakeGitHub, database_url: str, args) -> dict[str, list[float]]:
    """Send at a fixed rate while a poller thread stamps each completion as it happens."""
    import threading

    sent: dict[int, tuple[float, bool, str]] = {}
    result: dict = {}
    sending = threading.Event()
    poller = threading.Thread(target=lambda: result.update(collect(sent, fake, database_url, args, sending)))
    poller.start()
    try:
        send_all(url, sent, args)
    finally:
        sending.set()
        poller.join()
    if "error" in result:
        raise SystemExit(result["error"])
    return result


def send_all(url: str, sent: dict, args) -> None:
    session = requests.Session()
    start = time.monotonic()
    for i in range(args.comments):
        number = i + 1
        harsh = i % 3 != 2
        body = (HARSH if harsh else NEUTRAL)[i % (len(HARSH) if harsh else len(NEUTRAL))]
        guid = f"e2e-{number}"
        payload = payloads.review_comment(body, pull_number=number, head_sha=f"{number:040x}")
        data, headers = payloads.signed(payload, ingest.SECRET, guid=guid)
        time.sleep(max(0.0, start + i / args.rate - time.monotonic()))
        sent[number] = (time.monotonic(), harsh, guid)
        status = session.post(url, data=data, headers=headers, timeout=10).status_code
        if status != 202:
            raise SystemExit(f"webhook {guid} answered {status}")


def collect(sent, fake: FakeGitHub, database_url: str, args, sending) -> dict:
    """Poll every 20 ms until every harsh comment has its run and every neutral delivery is done."""
    from service.storage import normalize_url

    engine = create_engine(normalize_url(database_url))
    done: dict[int, float] = {}
    deadline = time.monotonic() + args.comments / args.rate + args.timeout
    while not (sending.is_set() and len(done) >= len(sent)) and time.monotonic() < deadline:
        now = time.monotonic()
        runs = {int(r.head_sha, 16) for r in fake.check_runs if r.status == "completed"}
        with engine.connect() as conn:
            query = text("SELECT guid FROM deliveries WHERE state IN ('done', 'skipped')")
            finished = {guid for (guid,) in conn.execute(query)}
        for number, (_, harsh, guid) in list(sent.items()):
            if number not in done and ((harsh and number in runs) or (not harsh and guid in finished)):
                done[number] = now
        time.sleep(0.02)
    if len(done) < len(sent):
        missing = [guid for number, (_, _, guid) in sent.items() if number not in done]
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT guid, state, reason FROM deliveries WHERE guid = ANY(:g)")
                                if engine.dialect.name == "postgresql" else
                                text("SELECT guid, state, reason FROM deliveries"), {"g": missing}).all()
        detail = "\n".join(f"  {g}: {s} {r}" for g, s, r in rows if g in missing)
        return {"error": f"only {len(done)} of {len(sent)} finished in time:\n{detail}"}
    engine.dispose()
    out: dict[str, list[float]] = {"harsh": [], "neutral": []}
    for number, (at, harsh, _) in sent.items():
        out["harsh" if harsh else "neutral"].append((done[number] - at) * 1000)
    return out


def report(latencies: dict[str, list[float]], args) -> None:
    print(f"end to end, {args.comments} webhooks at {args.rate}/s, {args.concurrency} worker processes, "
          f"{args.database}:")
    for kind, values in latencies.items():
        values.sort()
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        label = "webhook -> completed check run" if kind == "harsh" else "webhook -> delivery done (no run)"
        print(f"  {label:36s} n={len(values):3d}  p50 {cuts[49]:7.0f} ms  p90 {cuts[89]:7.0f} ms  "
              f"p99 {cuts[98]:7.0f} ms  max {values[-1]:7.0f} ms")


if __name__ == "__main__":
    main()
