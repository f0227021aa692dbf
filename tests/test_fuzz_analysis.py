"""Hostile comment text: the analyzer's work stays bounded (cut at its size cap, no regex blow-up, modest memory).

A run of 100,000 backticks took 25 s (each position of the run retried the inline-code pattern)
and 50,000 "![" took 3 s; the times are measured by bench/hostile.py, not asserted here. This
test checks what can be checked without a clock: every hostile text is analyzed, cut at the cap
with a note, and the Python memory it needs stays under a modest bound.
"""

from __future__ import annotations

import tracemalloc

import pytest

from service.analysis import engine

HOSTILE = {
    "backtick-run": "`" * 100_000,
    "image-openers": "![" * 50_000,
    "one-long-word": "a" * 1_000_000,
    "emoji-joiners": "\U0001f468\u200d" * 100_000,
    "bidi-overrides": "\u202e" * 200_000,
    "nul": "\x00" * 100_000,
    "lone-surrogates": "\ud800" * 10_000,
}
MEMORY_BOUND = 200 * 1024 * 1024


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_analyzed_within_the_cap_and_a_memory_bound(text):
    engine.analyze("Warm up: you broke it.")  # the pipeline loads once; its memory is not the text's
    tracemalloc.start()
    try:
        result = engine.analyze(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MB"
    if len(text) > engine.MAX_CHARS:
        assert result.notes == (f"truncated at {engine.MAX_CHARS} characters",)
    assert all(0 <= f.start < f.end <= min(len(text), engine.MAX_CHARS) for f in result.findings)
