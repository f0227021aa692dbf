"""Throughput of analyze_many against bare nlp.pipe over the same comments, and peak memory.

    python bench/analyze.py [--corpus FILE.jsonl] [--limit N]

Without --corpus it generates comments from our own corpus and rule examples (never the public evaluation sets).
The ratio is what holds across machines: analysis should cost no more than the parse alone (>= 1.0).
It also times `tact analyze "text"` from a cold start (a new process: imports, pipeline, rules), the wait a
user has at the command line.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.analysis import engine as analysis  # noqa: E402
from service.analysis import nlp as nlp_module  # noqa: E402

FILLER = [
    "This leaks the file handle.",
    "nit: rename this to `retry_count`.",
    "Could we add a test for the empty case?",
    "The lock is taken twice on this path.",
    "LGTM once CI is green.",
    "Please move this into the service layer.",
    "I think this may break on Windows paths.",
    "Why is the timeout 30 seconds here?",
    "-1, needs tests",
]


def generated(n: int, seed: int = 7) -> list[str]:
    """Comments of one to three sentences from our own labeled corpus (dev part) and the templates above.

    Rule examples are left out on purpose: half of them are harsh by design, which would make every comment
    a cue-laden one and measure a worst case rather than review traffic.
    """
    pool = list(FILLER)
    for name in ("dev.jsonl",):
        path = ROOT / "tests" / "corpus" / name
        if path.exists():
            pool += [
                json.loads(line)["text"]
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()
            ]
    rng = random.Random(seed)
    return [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 3))) for _ in range(n)]


def from_file(path: str, limit: int) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()][:limit]


def rate(fn, texts: list[str]) -> float:
    start = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - start)


COLD_TEXT = "Obviously this is wrong. You broke the build again."


def cold_start(runs: int = 3) -> float:
    """Median wall time of `tact analyze TEXT` in a fresh process."""
    tact = Path(sys.executable).with_name("tact")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(tact), "analyze", COLD_TEXT], check=True, capture_output=True, timeout=120)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", help="JSON Lines with a text field; default: generated from our own corpus"
    )
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3, help="bare and full runs, alternated (median ratio)")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh `tact analyze` runs to time (0: skip)")
    args = parser.parse_args()
    texts = from_file(args.corpus, args.limit) if args.corpus else generated(args.limit)
    analysis.load()
    nlp = nlp_module.pipeline()
    analysis.analyze_many(texts[:50])  # warm both paths up

    def bare(batch):
        with nlp.memory_zone():
            for _ in nlp.pipe(batch, batch_size=64):
                pass

    def full(batch):
        analysis.engine().forget()  # later rounds must not find this corpus's rewrites already checked
        for i in range(0, len(batch), 256):
            analysis.analyze_many(batch[i : i + 256])

    # Rounds alternate the two, so a slow spell of a shared machine falls on both; the median ratio is reported.
    rounds = [(rate(bare, texts), rate(full, texts)) for _ in range(args.rounds)]
    bare_rate = statistics.median(b for b, _ in rounds)
    full_rate = statistics.median(f for _, f in rounds)
    ratio = statistics.median(f / b for b, f in rounds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"corpus: {len(texts)} comments, {words:.1f} words on average ({args.corpus or 'generated'})")
    print(f"pipeline: {nlp.meta['name']} {nlp.meta['version']}, components {nlp.pipe_names}")
    print(f"bare nlp.pipe:  {bare_rate:8.1f} comments/s")
    print(f"analyze_many:   {full_rate:8.1f} comments/s")
    spread = ", ".join(f"{f / b:.2f}" for b, f in rounds)
    print(f"ratio:          {ratio:8.2f}  (target >= 1.0; median of {args.rounds} rounds: {spread})")
    print(f"peak RSS:       {peak_mb:8.1f} MB  (target < 400)")
    if args.cold_runs:
        seconds = cold_start(args.cold_runs)
        print(f"cold start:     {seconds:8.2f} s   (tact analyze \"text\", median of {args.cold_runs})")


if __name__ == "__main__":
    main()
