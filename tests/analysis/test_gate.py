"""The rewrite gate, as properties: whatever the comment, a rewrite that loses, adds or leaves the wrong thing
fails, and one that only cuts the jab passes."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from service.analysis import gate

PROSE = st.sampled_from(["the", "loop", "skips", "last", "element", "cache", "is", "stale", "here", "and", "this",
                         "handler", "never", "closes", "file", "we", "retry", "twice", "on", "timeout"])
CODE = st.from_regex(r"`[a-z_]{1,8}(\.[a-z]{1,5})?(\(\))?`", fullmatch=True)
IDENT = st.from_regex(r"[a-z]{2,6}_[a-z]{2,6}|[a-z]{2,5}/[a-z]{2,5}\.py|#[1-9][0-9]{1,3}", fullmatch=True)
NUMBER = st.from_regex(r"[1-9][0-9]{0,3}(ms|%)?", fullmatch=True)
URL = st.from_regex(r"https://[a-z]{3,8}\.example\.com/[a-z]{1,6}", fullmatch=True)
TECHNICAL = st.one_of(CODE, IDENT, NUMBER, URL)
NEW_WORDS = st.sampled_from(["banana", "refactor", "deadline", "compiler", "mutex", "database"])
JABS = st.sampled_from(["Obviously", "Honestly", "Come on,", "Ugh,", "Seriously,"])
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def sentences(draw):
    """A plain sentence with one to three technical tokens somewhere in it."""
    words = draw(st.lists(PROSE, min_size=3, max_size=10))
    tokens = draw(st.lists(TECHNICAL, min_size=1, max_size=3, unique=True))
    for token in tokens:
        words.insert(draw(st.integers(0, len(words))), token)
    return "The " + " ".join(words) + ".", tokens


@SETTINGS
@given(sentences(), JABS)
def test_cutting_only_the_jab_passes_every_string_check(pair, jab):
    plain, _ = pair
    original = f"{jab} {plain[0].lower()}{plain[1:]}"
    assert gate.check(original, plain, cues=(jab.rstrip(","),), exempt=jab).ok


@SETTINGS
@given(sentences(), st.data())
def test_a_rewrite_that_loses_a_technical_token_fails(pair, data):
    original, tokens = pair
    lost = data.draw(st.sampled_from(tokens))
    assume(not any(lost in other for other in tokens if other != lost))  # "1" inside "1ms" is still there
    rewrite = original.replace(lost, "it", 1)
    verdict = gate.check("Ugh, " + original, rewrite, cues=("Ugh",), exempt="Ugh")
    assert not verdict.ok and verdict.problem.startswith("loses")


@SETTINGS
@given(sentences(), NEW_WORDS)
def test_a_rewrite_that_brings_in_a_new_content_word_fails_unless_its_template_has_it(pair, word):
    original, _ = pair
    rewrite = original[:-1] + f" {word}."
    assert gate.check("Ugh, " + original, rewrite, cues=("Ugh",), exempt="Ugh").problem.startswith("adds")
    assert gate.check("Ugh, " + original, rewrite, cues=("Ugh",), exempt="Ugh", template=frozenset({word})).ok


@SETTINGS
@given(sentences(), st.sampled_from([",.", " ,", ";.", "!!", "??", ", ,", "()", ". ,"]))
def test_doubled_or_orphaned_punctuation_fails(pair, marks):
    original, _ = pair
    rewrite = original[:-1] + marks + " and more."
    verdict = gate.check("Ugh, " + original, rewrite, cues=("Ugh",), exempt="Ugh", template=frozenset({"more"}))
    assert not verdict.ok and verdict.problem.startswith("punctuation")


@SETTINGS
@given(sentences(), JABS)
def test_a_rewrite_that_keeps_the_cue_fails(pair, jab):
    plain, _ = pair
    original = f"{jab} {plain}"
    rewrite = f"{plain[:-1]}, {jab.rstrip(',').lower()}."
    verdict = gate.check(original, rewrite, cues=(jab.rstrip(","),), exempt=jab)
    assert not verdict.ok and "cue" in verdict.problem


@SETTINGS
@given(sentences())
def test_a_rewrite_that_drops_a_negation_fails(pair):
    original, _ = pair
    negated = original.replace(" is ", " is not ", 1) if " is " in original else original[:-1] + " is not it."
    assert gate.check("Ugh, " + negated, original, cues=("Ugh",), exempt="Ugh").problem in (
        "drops a negation", "adds 'it'")


def test_an_unchanged_or_empty_rewrite_is_no_rewrite():
    assert gate.check("This is wrong.", "This is wrong.").problem == "no change"
    assert gate.check("This is wrong.", "   ").problem == "no change"


def test_technical_tokens_are_code_urls_numbers_names_and_refs():
    text = "See `a b`, https://x.example.com/p, 30ms, retry_count, src/app.py, #12, @ana and IE11, not iT wOrKs."
    assert gate.technical_tokens(text) == ("`a b`", "https://x.example.com/p", "30ms", "12", "retry_count",
                                           "src/app.py", "#12", "@ana", "IE11")


def test_full_sentences_need_a_main_verb_a_capital_and_an_end(nlp_pipeline):
    assert gate.full_sentences(nlp_pipeline("The lock is not needed."))
    assert gate.full_sentences(nlp_pipeline("Run the tests."))
    for broken in ["the lock is not needed.", "The lock is not needed", "When code is unset.",
                   "Another architect who has never read the code.", "Known the API was deprecated."]:
        assert not gate.full_sentences(nlp_pipeline(broken)), broken
