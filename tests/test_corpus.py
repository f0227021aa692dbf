"""The labeled corpora stay well-formed and their splits stay exactly what the build scripts make."""

import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"


@pytest.mark.parametrize(
    "corpus", ["reviews", "threads", "families", "families2", "families3", "families4", "families5", "suggestions",
               "suggestions2"]
)
def test_the_corpus_splits_are_valid_and_reproducible(corpus):
    result = subprocess.run([sys.executable, str(CORPUS / "build.py"), "--check", corpus], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


TRAINING_CIVIL = {
    "neutral", "blunt", "hedged", "quoted", "tool-grumble", "self-directed", "technical-words", "question"
}


@pytest.mark.parametrize("name", ["training.jsonl", "training3.jsonl", "training4.jsonl", "training5.jsonl",
                                  "training6.jsonl", "training7.jsonl", "training8.jsonl"])
def test_training_rows_are_well_formed_and_share_no_text_with_a_test_half(name):
    """A training row that repeats a test half's text would let the model see what it is measured on."""
    import json

    from service.analysis.learned import CATEGORY_OF

    rows = [json.loads(line) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()]
    assert all(set(row) == {"id", "text", "harsh", "category"} for row in rows)
    assert len({row["id"] for row in rows}) == len(rows)
    assert all(row["category"] in CATEGORY_OF for row in rows if row["harsh"])
    assert all(row["category"] in TRAINING_CIVIL for row in rows if not row["harsh"])
    tested = {json.loads(line)["text"].strip().lower() for path in CORPUS.glob("*test.jsonl")
              for line in path.read_text(encoding="utf-8").splitlines()}
    assert not [row["id"] for row in rows if row["text"].strip().lower() in tested]
