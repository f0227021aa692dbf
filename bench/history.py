"""The sweep, recover, `tact deliveries` and the dashboard on a database with a past, against an empty one.

    .venv/bin/python bench/history.py [--rounds N]

Two private schemas in PostgreSQL (TACT_TEST_POSTGRES_URL, database `test` by default), both
migrated to head: one stays empty, the other gets a million finished deliveries and a hundred
thousand old comments with their findings, one INSERT ... SELECT generate_series per table
(tests/history.py, the rows tests/test_faults.py checks too). Each query of the workload (the real
storage functions, rolled back) runs N times in each schema, in the same run; prints the median
milliseconds side by side with their ratio, how long the rows took to insert, and any statement
whose plan reads a whole big table. Judges the highest ratio and the plans against the target. Loopback
only; drops its schemas.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from service.storage import migrate, normalize_url  # noqa: E402
from tests import history  # noqa: E402  (the same rows and workload the fault test checks)

POSTGRES_URL = os.environ.get("TACT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# A million old rows may cost a query a little (a deeper index), never a multiple: judged on the ratio to
# the same query on the empty schema in the same run, since a shared machine moves the milliseconds.
TARGET_RATIO = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="runs of each query per schema (median kept)")
    args = parser.parse_args()
    admin = create_engine(normalize_url(POSTGRES_URL))
    schemas = {kind: f"tact_bench_history_{kind}_{uuid.uuid4().hex[:6]}" for kind in ("empty", "past")}
    try:
        urls = {kind: _schema(admin, name) for kind, name in schemas.items()}
        out: dict = {}
        history.insert_old_rows(urls["past"], out)
        print(f"inserted {history.OLD_DELIVERIES:,} deliveries and {history.OLD_COMMENTS:,} comments with findings "
              f"in {out['seconds']:.1f} s (ANALYZE included)")
        for kind in urls:  # warm both: the first run of each query pays for its plan and the cache
            history.timings(urls[kind], rounds=1)
        samples: dict[str, dict[str, list[float]]] = {"empty": {}, "past": {}}
        for _ in range(args.rounds):  # alternated, so both see the same load from the rest of the machine
            for kind in samples:
                for name, ms in history.timings(urls[kind], rounds=1).items():
                    samples[kind].setdefault(name, []).extend(ms)
        empty, past = (_medians(samples[kind]) for kind in ("empty", "past"))
        scans = history.sequential_scans(history.plans(urls["past"]))
    finally:
        with admin.begin() as conn:
            for name in schemas.values():
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()
    return _report(empty, past, scans, args.rounds)


def _medians(samples: dict[str, list[float]]) -> dict[str, float]:
    return {name: sorted(ms)[len(ms) // 2] for name, ms in samples.items()}


def _schema(admin, name: str) -> str:
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={name}')}"
    migrate.upgrade(url)
    return url


def _report(empty: dict[str, float], past: dict[str, float], scans: dict[str, list[str]], rounds: int) -> int:
    width = max(len(name) for name in past)
    print(f"\nmedian of {rounds} runs, milliseconds")
    print(f"{'query':<{width}}  {'empty':>8}  {'1M past':>8}  {'ratio':>6}  plan")
    for name, ms in past.items():
        plan = "SEQ SCAN of " + ", ".join(scans[name]) if name in scans else "indexes"
        print(f"{name:<{width}}  {empty[name]:8.2f}  {ms:8.2f}  {ms / empty[name]:6.2f}  {plan}")
    worst = max(past, key=lambda name: past[name] / empty[name])
    ratio = past[worst] / empty[worst]
    ok = ratio <= TARGET_RATIO and not scans
    print(f"\nhighest ratio: {worst} at {ratio:.2f} (target at most {TARGET_RATIO:.1f}); "
          f"{len(scans)} queries scan a whole big table: {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"({time.monotonic() - started:.0f} s)")
    sys.exit(code)
