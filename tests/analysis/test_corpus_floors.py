"""Our held-out corpus (tests/corpus/test.jsonl) meets the agreed floors; the figures are printed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from service.cli.analysis import FLOORS, eval_command

TEST_CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "test.jsonl"


def test_held_out_corpus_meets_the_floors(analysis):
    """Floors were set after a single look at this file; tune on dev.jsonl, never on this one."""
    result = CliRunner().invoke(eval_command, [str(TEST_CORPUS), "--by", "category", "--check"])
    print(f"\nfloors: {FLOORS}\n{result.output}")
    assert result.exit_code == 0, result.output


THREADS_TEST = Path(__file__).resolve().parents[1] / "corpus" / "threads-test.jsonl"
# Set after one look at threads-test.jsonl (P 0.866, R 0.385, FPR 0.056); tune on threads-dev.jsonl only.
THREADS_FLOORS = {"precision": 0.85, "recall": 0.35, "fpr": 0.06}


def test_held_out_thread_comments_meet_their_floors(analysis):
    """Heated issue-thread comments are harder than review comments, so they get floors of their own."""
    from service.analysis.metrics import tally

    rows = [json.loads(line) for line in THREADS_TEST.read_text(encoding="utf-8").splitlines() if line.strip()]
    flags = [a.flagged for a in analysis.analyze_many([r["text"] for r in rows])]
    counts, _ = tally(zip(rows, flags, strict=True), None)
    print(f"\nthreads-test: P {counts.precision:.3f} R {counts.recall:.3f} FPR {counts.fpr:.3f}")
    assert counts.precision >= THREADS_FLOORS["precision"]
    assert counts.recall >= THREADS_FLOORS["recall"]
    assert counts.fpr <= THREADS_FLOORS["fpr"]
