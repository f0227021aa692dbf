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


def _counts(analysis, path: Path):
    from service.analysis.metrics import tally

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    flags = [a.flagged for a in analysis.analyze_many([r["text"] for r in rows])]
    counts, _ = tally(zip(rows, flags, strict=True), None)
    print(f"\n{path.stem}: P {counts.precision:.3f} R {counts.recall:.3f} FPR {counts.fpr:.3f}")
    return counts


def _meets(counts, floors: dict[str, float]) -> None:
    assert counts.precision >= floors["precision"]
    assert counts.recall >= floors["recall"]
    assert counts.fpr <= floors["fpr"]


def test_held_out_thread_comments_meet_their_floors(analysis):
    """Heated issue-thread comments are harder than review comments, so they get floors of their own."""
    _meets(_counts(analysis, THREADS_TEST), THREADS_FLOORS)


FAMILIES_TEST = Path(__file__).resolve().parents[1] / "corpus" / "families-test.jsonl"
# Set after one look at families-test.jsonl with the family rules (P 0.836, R 0.391, FPR 0.058; before them
# P 0.660, R 0.224, FPR 0.087). Tune on families-dev.jsonl only; the targets (R 0.70 at P 0.90, FPR 0.03)
# are not met yet, so these floors only keep what the families gained.
FAMILIES_FLOORS = {"precision": 0.80, "recall": 0.36, "fpr": 0.065}


def test_held_out_family_comments_meet_their_floors(analysis):
    """Comments written, before the family rules, by a teammate who had not read them: new wording per family."""
    _meets(_counts(analysis, FAMILIES_TEST), FAMILIES_FLOORS)


FAMILIES2_TEST = Path(__file__).resolve().parents[1] / "corpus" / "families2-test.jsonl"
# Set after one look at families2-test.jsonl with the second round of family rules (P 0.921, R 0.414, FPR 0.035;
# before them P 0.930, R 0.391, FPR 0.029). The rules were tuned on families2-dev (recall 0.379 -> 0.698 there):
# the gap between the halves is the honest measure of how far rules written from examples carry.
FAMILIES2_FLOORS = {"precision": 0.88, "recall": 0.39, "fpr": 0.045}


def test_held_out_second_family_batch_meets_its_floors(analysis):
    """The second batch was written blind by other authors, after the first family rules existed."""
    _meets(_counts(analysis, FAMILIES2_TEST), FAMILIES2_FLOORS)


FAMILIES3_TEST = Path(__file__).resolve().parents[1] / "corpus" / "families3-test.jsonl"
FAMILIES4_TEST = Path(__file__).resolve().parents[1] / "corpus" / "families4-test.jsonl"
FAMILIES5_TEST = Path(__file__).resolve().parents[1] / "corpus" / "families5-test.jsonl"
# Set after one look at each: families3-test at 1c111c0 (P 0.939, R 0.348, FPR 0.022), families4-test the day it
# arrived (P 0.886, R 0.534, FPR 0.068), families5-test the day it arrived (86bbb37: P 0.911, R 0.554, FPR 0.052).
# The halves were written blind by authors who never saw the rules; their dev halves are the ones to tune on,
# and these floors only keep what the rules carry to an unseen author.
BLIND_FLOORS = {
    FAMILIES3_TEST: {"precision": 0.90, "recall": 0.33, "fpr": 0.035},
    FAMILIES4_TEST: {"precision": 0.85, "recall": 0.50, "fpr": 0.075},
    FAMILIES5_TEST: {"precision": 0.85, "recall": 0.50, "fpr": 0.075},
}


def test_held_out_blind_family_batches_meet_their_floors(analysis):
    """The third and fourth batches were written by authors who saw neither the rules nor the other parts."""
    for path, floors in BLIND_FLOORS.items():
        _meets(_counts(analysis, path), floors)
