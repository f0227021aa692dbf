"""The labeled corpora stay well-formed and their splits stay exactly what the build scripts make."""

import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"


@pytest.mark.parametrize("corpus", ["reviews", "threads", "families", "families2", "suggestions", "suggestions2"])
def test_the_corpus_splits_are_valid_and_reproducible(corpus):
    result = subprocess.run([sys.executable, str(CORPUS / "build.py"), "--check", corpus], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
