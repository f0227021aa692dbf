"""A comment is judged as a whole: what is harsh only beside a jab, the model's looser call there, and rewrites
that leave out a sentence that was only a verdict.

Each test fails on the analyzer before the change it names (rules with `beside: true`, the model's context
threshold, verdict sentences dropped whole, the inner lead-in cut, the tool-as-subject guard).
"""

from __future__ import annotations

import pytest

from service.analysis.catalog import Options
from service.analysis.engine import validated_rules


def rules_of(result) -> list[str]:
    return [r for f in result.findings for r in (f.rule, *f.also)]


def test_a_beside_rule_never_flags_a_comment_alone(analysis):
    assert not analysis.analyze("Brilliant, the cache halves the build time.").flagged
    both = analysis.analyze("Brilliant, `SELECT *` inside a loop over 10k users. The DBA will be thrilled.")
    assert "praise-opener" in rules_of(both)
    assert len(both.findings) == 2  # one per harsh sentence, the opener's included
    assert "Brilliant" not in both.rewrite


def test_every_beside_rule_has_only_comment_examples_that_another_rule_flags_too(analysis):
    beside = [r for r in validated_rules() if r.beside]
    assert {r.id for r in beside} >= {"praise-opener", "trivializer"}
    for rule in beside:
        for text in rule.flag_examples:
            found = rules_of(analysis.analyze(text))
            assert rule.id in found and set(found) - {rule.id}, (rule.id, text, found)


def test_beside_a_finding_the_model_takes_out_a_jab_sentence_and_keeps_the_point(analysis):
    """'Truly inspiring.' is below the model's threshold alone and above its context threshold (a sentence picked
    for that from the model of the day: retraining may move it, and the test says so)."""
    from service.analysis import engine as engine_module

    e = engine_module.engine(engine_module.nlp_module.DEFAULT_MODEL)
    alone, beside = engine_module._learned(e, e.nlp.make_doc("Truly inspiring."), engine_module.Options())
    assert alone is None and beside is not None, "pick another jab sentence between the model's two thresholds"
    assert not analysis.analyze("Truly inspiring.").flagged
    result = analysis.analyze("Did you even read the issue? Truly inspiring. "
                              "`verify=False` turns off TLS checks.")
    assert len(result.findings) == 2, rules_of(result)
    assert "inspiring" not in result.rewrite and "`verify=False` turns off TLS checks." in result.rewrite


def test_beside_a_finding_the_model_leaves_a_sentence_with_code_alone(analysis):
    """Its words are evidence, not a jab a cut can remove: 'Let's just disable SSL verification with
    `verify=False`' lost its verb when the model's cue words were cut."""
    result = analysis.analyze("Sure, let's just disable SSL verification with `verify=False`. "
                              "Security is overrated anyway.")
    assert not any(f.rule.startswith("learned-") and f.start == 0 for f in result.findings)
    assert "disable" in result.rewrite or not result.rewrite


def test_the_model_never_cuts_a_negation(analysis):
    text = ("Here's a lesson in how HTTP works: a `POST` is not idempotent, so the client retry in `submitOrder` "
            "can create two orders.")
    result = analysis.analyze(text)
    assert result.flagged
    assert not result.rewrite or "is not idempotent" in result.rewrite


REWRITES = [
    # a verdict sentence goes whole when the point is in another one
    ("This code is garbage and so is the reasoning in the description. `retry()` never returns the last error.",
     "`retry()` never returns the last error."),
    # the knowing clause goes and its complement stays, though the parser hangs it under the last clause
    ("Any senior engineer would see that this migration isn't reversible: `down()` is empty.",
     "This migration isn't reversible: `down()` is empty."),
    # a lead-in before a colon goes, and "Never" + verb is a whole imperative
    ("Repeat after me: never hold a lock while doing I/O. `flush()` grabs `mu` before `conn.Write`.",
     "Never hold a lock while doing I/O. `flush()` grabs `mu` before `conn.Write`."),
    # a quiet "Just" beside a trivializer goes with it
    ("Just memoize it. It's one hook.", "Memoize it."),
]


@pytest.mark.parametrize(("text", "expected"), REWRITES)
def test_the_rewrite_of_the_whole_comment(analysis, text, expected):
    assert analysis.analyze(text).rewrite == expected


def test_stock_sentences_alone_are_no_rewrite(analysis):
    """Two polite templates in place of the whole comment are boilerplate: the note names the words instead."""
    from service.analysis.compose import Sentence, _only_templates

    original = "Closing. No one wanted this."
    first, second = Sentence(0, 8, "Closing.", ("Closing",)), Sentence(9, 28, "No one wanted this.", ("No one",))
    templated = [("I don't think we should go ahead.", frozenset({"ahead"})), ("Could we talk?", frozenset({"talk"}))]
    assert _only_templates(original, [first, second], templated)
    assert not _only_templates(original + " The flag is unused.", [first, second], templated)


NOT_FLAGGED = [
    # Sincere praise: the model finds "Very X." closers mocking (its training rows hold many); alone, with
    # nothing in the comment to contrast with, praise is taken at its word. Beside a finding it may speak.
    "Very readable.",
    "This is much simpler now. Very readable.",
    "Nice, this is much simpler now. Very readable.",
    # Grumbling at a tool, or at oneself.
    "Renovate is being dumb and grouping the React major bump with patch updates.",
    "The JTAG probe dropped the connection for the fourth time today.",
    "Ugh, `go mod tidy` keeps re-adding the indirect dep.",
    "MSVC hates `__attribute__((packed))`, classic.",
    "Argh, I keep forgetting that `git push --force-with-lease` exists.",
]


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_sincere_praise_and_grumbling_at_a_tool_or_at_oneself_are_not_flagged(analysis, text):
    assert not analysis.analyze(text).flagged, rules_of(analysis.analyze(text))


@pytest.mark.parametrize("text", [
    "Your change is dumb.",
    "This patch is absolutely stupid.",
    "I've asked for this for the fourth time today.",
    "Ugh. Fix it.",
])
def test_the_same_words_aimed_at_the_author_still_are(analysis, text):
    assert analysis.analyze(text).flagged


def test_a_quiet_cue_shows_beside_a_finding_and_leaves_the_rewrite(analysis):
    """'Just add ...' alone is a plain request (low severity, hidden at medium); beside 'Not exactly rocket
    science.' it is part of the jab, and a rewrite that kept its 'Just' would keep the minimizer."""
    assert not analysis.analyze("Just add a `WHERE deleted_at IS NULL`.").flagged
    result = analysis.analyze("Just add a `WHERE deleted_at IS NULL`. Not exactly rocket science.")
    assert "just-do-it" in rules_of(result)
    assert result.rewrite == "Add a `WHERE deleted_at IS NULL`."
    low = analysis.analyze("Just add a `WHERE deleted_at IS NULL`. Not exactly rocket science.",
                           Options(sensitivity="low"))
    assert "just-do-it" not in rules_of(low)


@pytest.mark.parametrize(
    ("at_the_room", "at_the_reader"),
    [
        ("Facepalm. I ran the whole suite against staging by mistake.",
         "Facepalm. You ran the whole suite against staging."),
        ("The staging cluster is out of memory again. Again. Restarting it.",
         "You pushed the same bug again. Again."),
        ("Sigh. The flaky runner lost the network on the arm64 job.", "Sigh. Another PR with no tests."),
    ],
)
def test_a_sigh_aimed_at_no_one_passes_and_the_same_sigh_at_the_reader_does_not(analysis, at_the_room,
                                                                                  at_the_reader):
    """aimed-at-no-one reads the whole comment: no "you" anywhere, and the writer's own story or a machine."""
    assert not analysis.analyze(at_the_room).flagged
    assert analysis.analyze(at_the_reader).flagged


def test_a_comment_that_owns_the_mistake_is_not_an_i_told_you_or_a_you_broke(analysis):
    assert not analysis.analyze("This one's on me: I told you the old endpoint was safe, and it is not.").flagged
    assert analysis.analyze("I told you the old endpoint was unsafe.").flagged
    assert not analysis.analyze("I was sure your patch broke boot. Turns out I flashed the wrong image.").flagged
    assert analysis.analyze("Your patch broke boot on the arm board.").flagged


def test_the_writer_counting_their_own_requests_is_still_repetition_at_the_reader(analysis):
    """A first-person story of asking ("I have now left this comment on every patchset") is aimed at the reader."""
    assert analysis.analyze("I have now left this comment on every patchset. Please read it before PS7.").flagged
    assert not analysis.analyze("Retrying the QEMU job for the third time today; the emulator is slow.").flagged


def test_words_in_single_quotes_are_someone_elses(analysis):
    """A bot's message or a vendor's doc quoted in single quotes is talked about, not said to the reader."""
    assert not analysis.analyze("The deploy bot posts 'Deploy failed, you broke it @here'. Can we soften it?").flagged
    vendor = "From the vendor docs: 'Do not be an idiot and run this on a primary.' Fair point."
    assert not analysis.analyze(vendor).flagged
    assert analysis.analyze("Don't be an idiot, check the return value.").flagged  # an apostrophe is no quote


def test_a_weaker_rule_in_a_flagged_sentence_shows_beside_the_stronger_one(analysis):
    """Its words leave with the rewrite, so its note must name them: "at your level" is hedged by "Kinda"
    below the medium threshold alone, yet the rewrite drops it with "embarrassing"."""
    result = analysis.analyze("Kinda embarrassing to explain this at your level, but the `fsync` call is missing.")
    assert {f.rule for f in result.findings} == {"contempt", "patronizing"}
    assert result.rewrite == "The `fsync` call is missing."


def test_beside_a_finding_a_lead_in_before_a_colon_goes_and_the_clause_after_it_stays(analysis):
    """The model's call on 'A bit of mentoring, since it's clearly needed: Docker caches ...' is the lead-in's;
    the sentence has no code, but what follows the colon is the point, so it is not left out whole."""
    result = analysis.analyze("A bit of mentoring, since it's clearly needed: Docker caches a layer by its instruction "
                              "and its inputs. Did you even read the Dockerfile docs? Put `COPY requirements.txt` "
                              "above `COPY . .`.")
    assert len(result.findings) == 2, rules_of(result)
    assert result.rewrite.startswith("Docker caches a layer by its instruction and its inputs.")
    assert "mentoring" not in result.rewrite
