"""No comment, however long or strange, crashes the analyzer or escapes its size cap."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.analysis.engine import MAX_CHARS

WORDS = st.sampled_from(
    [
        "You",
        "broke",
        "the",
        "build",
        "obviously",
        "`code`",
        "> ",
        "```",
        "\n",
        "!!",
        "??",
        "😂",
        "\u200b",
        "\u202e",
        "שלום",
        "https://x.y/z",
        "<!--",
        "-->",
        " ",
        "just",
        "FIX",
    ]
)
COMMENTS = st.one_of(st.text(max_size=400), st.lists(WORDS, max_size=80).map("".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(COMMENTS)
def test_any_text_gives_findings_whose_spans_are_the_original_text(analysis, text):
    result = analysis.analyze(text)
    for f in result.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.text
    assert -1.0 <= result.sentiment <= 1.0 and 0.0 <= result.score <= 1.0


def test_a_megabyte_comment_is_cut_at_the_cap_with_a_note(analysis):
    result = analysis.analyze("Obviously this is wrong. " * 40_000)
    assert result.notes == (f"truncated at {MAX_CHARS} characters",)
    assert all(f.end <= MAX_CHARS for f in result.findings)


def test_emoji_runs_binary_noise_and_invisible_characters_are_handled(analysis):
    """VADER alone takes many seconds on thousands of emoji; the analyzer must not inherit that."""
    for text in [
        "😂" * 20_000,
        "ok 🙂 " * 3_000,
        bytes(range(256)).decode("latin-1") * 50,
        "\u200b\u202e" * 5_000,
    ]:
        assert analysis.analyze(text).flagged in (True, False)


# Harsh sentences from the rule files, and civil technical ones carrying code, names, numbers and links.
def _flag_examples():
    from service.analysis.engine import validated_rules

    return sorted({t for r in validated_rules() for t in r.flag_examples})


TECHNICAL_SENTENCES = st.sampled_from([
    "The loop in `dedupe()` skips the last element.",
    "See https://docs.example.com/locks for the 30 ms timeout.",
    "`retry_count` is read twice in src/app.py, see #42.",
    "```suggestion\nreturn None\n```",
    "> You broke it, said the old bot.",
    "- `make test` fails on `main` since v2.3.1",
])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_flag_examples()), TECHNICAL_SENTENCES), min_size=1, max_size=4))
def test_every_rewrite_shown_passes_the_gate_and_keeps_the_markdown(analysis, parts):
    """Whatever the mix of harsh and technical sentences, a rewrite that is shown is clean, keeps every code
    span, URL, number and name, and leaves quotes and code blocks as they were."""
    from service.analysis import gate
    from service.analysis.catalog import Options
    from service.analysis.rephrase import all_template_words

    text = "\n\n".join(parts)
    result = analysis.analyze(text)
    assert {f.suggestion for f in result.findings} <= {result.rewrite}
    if not result.rewrite:
        return
    verdict = gate.recheck(text, result.rewrite, result.findings, all_template_words())
    assert verdict.ok, verdict.problem
    assert analysis.analyze(result.rewrite, Options()).findings == ()
    for block in gate.code_spans(text):
        assert block in result.rewrite
    for line in text.splitlines():
        if line.startswith(">"):
            assert line in result.rewrite
