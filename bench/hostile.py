"""Analyzer time on hostile comment text against an ordinary comment of the cap's size, in the same run.

    .venv/bin/python bench/hostile.py

Each hostile text (from tests/test_fuzz_analysis.py) is cut at the analyzer's size cap, so none
should cost much more than an ordinary 20,000-character comment: the ratio column says how much.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from service.analysis import engine  # noqa: E402
from tests.test_fuzz_analysis import HOSTILE  # noqa: E402


def timed(text: str) -> float:
    started = time.perf_counter()
    engine.analyze(text)
    return time.perf_counter() - started


def main() -> None:
    engine.analyze("Warm up: you broke it.")
    ordinary = ("This leaks the file handle. Could we add a test for the empty case? " * 400)[: engine.MAX_CHARS]
    baseline = min(timed(ordinary) for _ in range(3))
    print(f"{'ordinary comment at the cap':28s} {baseline * 1000:8.0f} ms   1.0x")
    for name, text in HOSTILE.items():
        seconds = min(timed(text) for _ in range(2))
        print(f"{name:28s} {seconds * 1000:8.0f} ms {seconds / baseline:5.1f}x")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
