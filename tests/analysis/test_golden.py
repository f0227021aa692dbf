"""Whole Markdown comments against expected findings, one `start-end rule-id severity` line each."""

from __future__ import annotations

import pytest

GOLDEN = [
    (
        "Thanks for the PR!\n\n> You broke the build again.\n\nThat quote is from the old bot. LGTM.",
        [],
    ),
    (
        "Obviously this is wrong. You broke the build again.\n\n```suggestion\nreturn None\n```",
        ["0-24 obviously medium", "25-51 you-broke high"],
    ),
    (
        "nit: rename `tmp` to `buffer`.\n\n- This leaks the file handle.\n"
        "- Why didn't you just use a `dict`?",
        ["64-97 why-didnt-you-just medium"],
    ),
    (
        "<!-- generated: you idiot -->\nI think we could split this into two helpers. What do you think?",
        [],
    ),
    (
        "How many times do I have to say this?? Fix this now.",
        ["0-38 how-many-times high", "39-52 do-it-now medium"],
    ),
]


def _lines(result) -> list[str]:
    return [f"{f.start}-{f.end} {f.rule} {f.severity}" for f in result.findings]


@pytest.mark.parametrize(("body", "expected"), GOLDEN, ids=[f"golden-{i}" for i in range(1, len(GOLDEN) + 1)])
def test_whole_comment_gives_exactly_the_expected_findings(analysis, body, expected):
    assert _lines(analysis.analyze(body)) == expected
