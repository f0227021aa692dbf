"""Combine a rule hit, the sentence's VADER compound and its softeners into a score and a decision."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from spacy.tokens import Doc

# A rule's severity sets where its score starts; each sensitivity shows scores at or above its threshold.
# The margins are chosen so a finding shows at the sensitivity named for its severity (low severity only at
# high sensitivity, high severity even at low sensitivity) and one softener is enough to hide it there.
BASE = {"low": 0.45, "medium": 0.65, "high": 0.85}
THRESHOLD = {"low": 0.75, "medium": 0.55, "high": 0.35}
HOME_SENSITIVITY = {"low": "high", "medium": "medium", "high": "low"}
SOFTENER_WEIGHTS = {"hedges": 0.15, "thanks": 0.15, "smileys": 0.1, "we": 0.1}
GENUINE_QUESTION = 0.15
MAX_SOFTENING = 0.35
NEGATIVE, POSITIVE = -0.5, 0.5
CONTRAST = -0.25
PRAISE = 0.4  # a sentence's VADER compound from which it reads as praise ("Nice refactor." is 0.42)
LONG_SENTENCE = 8
# A refusal in a comment this long almost always comes with its reason (a bare "Nope." is a few words).
EXPLAINED_WORDS = 10
SENTIMENT_WEIGHT = 0.1
MODIFIERS = ("amod", "compound", "nmod", "advmod")
QUOTES = "\"'“”‘’`"


@dataclass(frozen=True)
class Sentence:
    """What guards and scoring read about one parsed sentence."""

    doc: Doc
    signals: dict[str, list[tuple[int, int]]]
    compound: float
    comment_low: float = 0.0  # the most negative sentence's compound in the whole comment
    comment_high: float = 0.0  # and the most positive one's
    comment_words: int = 0  # words in the whole comment (0 when unknown: then nothing counts as explained)
    opens: bool = True  # the sentence is the comment's first: nothing before it for praise to be ironic about
    praise_before: bool = False  # a sentence before it praises ("Nice refactor. Very readable."): praise goes on
    owns_up: bool = False  # the writer owns a mistake somewhere in the comment ("my bad", "I'm the one who...")
    # the comment says the trouble is not the change's ("unrelated to this PR", "nothing in your PR is wrong")
    clears_change: bool = False
    # Who the comment is aimed at, read off its whole prose: whether it says "you" anywhere, whether some
    # sentence has the writer as its subject ("I had the flag on locally"), whether it names a tool
    reader_in_comment: bool = True
    writer_in_comment: bool = False
    tool_in_comment: bool = False


def _signal_outside(s: Sentence, name: str, match: tuple[int, ...]) -> bool:
    """A signal counts only where it is not itself part of the rule's match."""
    return any(not set(range(a, b)) & set(match) for a, b in s.signals.get(name, ()))


def _starts_with(s: Sentence, name: str) -> bool:
    first = next((t.i for t in s.doc if not (t.is_punct or t.is_space)), None)
    return any(a == first for a, _ in s.signals.get(name, ()))


def asks_question(s: Sentence, match: tuple[int, ...]) -> bool:
    """A question that opens like a request ("Could we...", "Is there...") asks; a "why" question may not."""
    text = s.doc.text.rstrip()
    return (
        text.endswith("?")
        and _starts_with(s, "question_openers")
        and not _starts_with(s, "rhetorical_openers")
    )


def hedged(s: Sentence, match: tuple[int, ...]) -> bool:
    return _signal_outside(s, "hedges", match)


def negated(s: Sentence, match: tuple[int, ...]) -> bool:
    """ "You didn't break anything" reassures; a negation on a matched word or its head flips the meaning."""
    for i in match:
        token = s.doc[i]
        for _ in range(4):  # climb to the clause's verb: "not a dumb question" negates through "is"
            if any(c.dep_ == "neg" for c in token.children):
                return True
            if token.pos_ in ("VERB", "AUX") or token.head.i == token.i:  # spaCy tokens are views: `is` never holds
                break
            token = token.head
    return False


def _clause(token):
    """The verb that heads the token's clause (or the sentence root)."""
    for _ in range(8):
        if token.pos_ in ("VERB", "AUX") or token.head.i == token.i:
            return token
        token = token.head
    return token


def self_directed(s: Sentence, match: tuple[int, ...]) -> bool:
    """Authors are allowed to be hard on themselves ("I was being dumb here", "my stupid typo"); a first
    person in another clause ("X is garbage, I prefer Y") does not count. A verdict with no reader in it,
    in a comment where the writer owns the mistake ("I left my debug print in. Shameful."), is theirs too."""
    if s.owns_up and not second_person(s):
        return True
    clauses = {t.i for i in match for t in [s.doc[i], *s.doc[i].ancestors] if t.pos_ in ("VERB", "AUX")}
    clauses |= {_clause(s.doc[i]).i for i in match}
    return any(_clause(s.doc[a]).i in clauses for a, _ in s.signals.get("first_person", ()))


def about_writer(s: Sentence, match: tuple[int, ...]) -> bool:
    """The writer is the subject of the matched clause ("I learned this on day one", "I'll go read the
    manual"): they talk about themselves, not the reader. Narrower than self-directed, which also counts a
    first person in a clause above ("I assumed everybody knew" is still about everybody)."""
    verbs = {_clause(s.doc[i]).i for i in match}
    return any(c.dep_ in ("nsubj", "nsubjpass") and c.lower_ == "i" for v in verbs for c in s.doc[v].children)


def described(s: Sentence, match: tuple[int, ...]) -> bool:
    """ "So it doesn't get lost", "messages get lost on restart": the words tell what happens to something that
    is the subject of the clause, not what the reader is told to do ("Get lost.", "You need to grow up")."""
    return any(c.dep_ in ("nsubj", "nsubjpass", "expl") and c.lower_ not in READER_WORDS
               for i in match for c in s.doc[i].children)


def no_harm_named(s: Sentence, match: tuple[int, ...]) -> bool:
    """Credit is not blame: "thanks to your change, the build is faster" names no harm, "... prod is down"
    does. True when the sentence names no harm outside the match."""
    return not _signal_outside(s, "harm", match)


def explained(s: Sentence, match: tuple[int, ...]) -> bool:
    """A "no" that gives its reason ("not merging until CI is green", "nah, the caller validates") is an
    answer; a bare refusal is a brush-off. The reason may be in the sentence or in the rest of the comment."""
    return _signal_outside(s, "reasons", match) or s.comment_words > EXPLAINED_WORDS


# Words that name the reader: second_person looks for them, described keeps an order to them an order.
READER_WORDS = frozenset({"you", "your", "yours", "yourself", "u", "ya"})


# The reader named only to be cleared ("nothing to do with your change", "not related to your PR", "not your
# fault"): a grumble at the runner that says so is still aimed at no one.
_CLEARED = re.compile(r"\b(?:nothing\s+to\s+do\s+with|(?:not|isn['’]t|wasn['’]t|unrelated)\s+(?:related\s+to|"
                      r"caused\s+by|because\s+of|due\s+to|to|about)?)\s*(?:you|your)\b(?:\s+[\w-]+)?", re.I)


def second_person(s: Sentence) -> bool:
    readers = [t for t in s.doc if t.lower_ in READER_WORDS]
    if not readers:  # most sentences: no need to join the text again and search it
        return False
    cleared = [m.span() for m in _CLEARED.finditer(s.doc.text)]
    return any(not any(a <= t.idx < b for a, b in cleared) for t in readers)


def at_tools(s: Sentence, match: tuple[int, ...]) -> bool:
    """Grumbling at a tool, CI or the weather of the build ("ugh, the e2e suite died on a DNS blip") is aimed
    at no one: a tool is named and the reader is not."""
    return bool(s.signals.get("tools")) and not second_person(s)


# Nouns that name the author's own work: a verdict on "this change" or "the patch" is on them.
WORK_NOUNS = frozenset({"change", "changes", "pr", "patch", "patchset", "diff", "commit", "commits", "code",
                        "implementation", "approach", "design", "function", "method", "class", "logic", "work",
                        "solution", "fix", "attempt", "idea", "naming", "review", "description"})


# Interjections said to a person ("come on", "seriously"), unlike a sigh ("ugh", "argh") that is said at the room.
ADDRESSING = frozenset({"come", "seriously", "really", "dude", "hello", "guys", "folks"})


def a_tool_is_judged(s: Sentence, match: tuple[int, ...]) -> bool:
    """The verdict's subject is a tool or a third party ("Renovate is being dumb", "the `golangci-lint` upgrade
    is being ridiculous", "MSVC hates `__attribute__`", "the JTAG probe dropped the connection for the fourth
    time", "ugh, `go mod tidy` keeps re-adding it"): a named product, a tool word or a piece of code is what
    is judged, and the reader and their work are not in the sentence.

    Narrower than at-tools, which a tool named anywhere in the sentence satisfies ("your CI config is
    garbage" names CI and still judges the reader's work): here the tool must be the subject."""
    return _judged_is_a_tool(s, match, "tools")


def the_weather_is_judged(s: Sentence, match: tuple[int, ...]) -> bool:
    """Like a-tool-is-judged, with the build's weather for tools ("Jenkins died again, f***ing thing", "Damn,
    Gradle broke the build again"), and the swear word may sit on the tool itself ("Goddamn GitHub Actions
    cache.", "this damn flaky test"): swearing at a named product or a flaky machine is a grumble, while "wtf,
    the tests are gone" swears at what the change did to its own tests."""
    return _judged_is_a_tool(s, match, "weather", on_the_noun=True)


MODIFYING = ("amod", "compound", "det", "nmod", "advmod", "intj")  # how a word sits on the noun it describes


def _names_a_tool(token, match: tuple[int, ...], tools: set[int]) -> bool:
    """The noun a matched word modifies, with its compounds and modifiers (not its clauses), names a tool."""
    if token.dep_ not in MODIFYING or token.head.pos_ not in ("NOUN", "PROPN"):
        return False
    todo = [token.head]
    while todo:
        t = todo.pop()
        if t.i not in match and (t.i in tools or (t.pos_ == "PROPN" and not t.is_lower)):
            return True
        todo += [c for c in t.children if c.dep_ in ("compound", "amod", "nmod", "flat")]
    return False


def _judged_is_a_tool(s: Sentence, match: tuple[int, ...], signal: str, on_the_noun: bool = False) -> bool:
    if second_person(s):
        return False
    tools = {i for a, b in s.signals.get(signal, ()) for i in range(a, b)}
    if on_the_noun and any(_names_a_tool(s.doc[i], match, tools) for i in match):
        return True
    for i in match:
        if s.doc[i].lower_ in ADDRESSING:
            return False  # "Come on, `SELECT ... FOR UPDATE` blocks forever" is said to someone, not at the query
        subject = _subject(s.doc[i])
        if subject is not None and subject.lower_ == "i":  # "I hate YAML", "I despise that bot": the object is judged
            subject = next((c for c in _clause(s.doc[i]).children if c.dep_ == "dobj"), None)
        if subject is not None and subject.i in match:  # "Ugh" parsed as the subject: the clause has another
            subject = next((c for c in subject.head.children if c.dep_ in ("nsubj", "nsubjpass") and c.i not in match),
                           None)
        if subject is None:
            continue
        words = list(subject.subtree)
        if any((t.lower_ in WORK_NOUNS or (t.pos_ == "NOUN" and t.i not in tools))
               and any(c.lower_ in ("this", "that", "these", "those") for c in t.children) for t in words):
            continue  # "this bullshit workaround", "this garbage": the work in front of the reader
        if subject.lower_ == "code" and not any(c.dep_ == "det" for c in subject.children):
            return True  # inline code, masked: "`go mod tidy` keeps re-adding the dep"
        # a product is named as written ("Renovate", "MSVC"); a lowercase "wtf" the tagger calls a name is none
        if any((t.pos_ == "PROPN" and not t.is_lower) or t.i in tools or (t.lower_ == "code" and t.dep_ == "compound")
               for t in words):
            return True
    return False


def _subject(token):
    """The subject of the clause a matched word sits in ("hates" in "MSVC hates it", "dumb" in "Renovate is
    being dumb"); for an interjection ("Ugh, ..."), the subject of the sentence it opens."""
    clause = _clause(token)
    if token.dep_ == "intj" or token.pos_ == "INTJ":
        clause = token.head if token.head.i != token.i else clause
    for _ in range(3):
        found = next((c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass", "csubj")), None)
        if found is not None:
            return found
        if clause.head.i == clause.i:
            return None
        clause = clause.head
    return None


def aimed_at_no_one(s: Sentence, match: tuple[int, ...]) -> bool:
    """A sigh, an eye-roll or an "again" in a comment that never says "you", beside the writer's own story or a
    tool ("Facepalm. I had the flag on locally the whole time", "Firebase Test Lab is out of devices. Again.",
    "Retrying the QEMU job for the third time today"), is said at the room. The same word in a comment that
    addresses the reader ("Again. Please rebase.") or names neither ("Sigh. Another PR with no tests.") is not."""
    return not s.reader_in_comment and (s.writer_in_comment or s.tool_in_comment or s.owns_up)


def clears_the_change(s: Sentence, match: tuple[int, ...]) -> bool:
    """A grumble in a comment that clears the change ("Argh, the docs preview fails on a Sphinx bump unrelated
    to this PR", "I hate this. Nothing in your PR is wrong") is aimed at the trouble, not at the author."""
    return s.clears_change


def owns_up(s: Sentence, match: tuple[int, ...]) -> bool:
    """The writer owns the mistake in this comment ("This one's on me: I told you `maxUnavailable: 0` was
    safe", "I was convinced your patch broke boot. Turns out I flashed the wrong dtb"): what looks like an
    "I told you" or a "you broke" is the writer's own account of it."""
    return s.owns_up


def concedes(s: Sentence, match: tuple[int, ...]) -> bool:
    """ "Obviously not for this PR", "clearly out of scope, but...": the cue grants a point before making
    another, a hedge rather than a put-down."""
    return _signal_outside(s, "concessions", match)


def compound(s: Sentence, match: tuple[int, ...]) -> bool:
    """In a compound noun a strong word names a thing ("garbage collector", "junk data"), not a verdict; joined
    by a hyphen to the next word it describes a look ("the stupid-looking `time.sleep(0)`"), not the code."""
    doc = s.doc
    return any(doc[i].dep_ == "compound" or (i + 2 < len(doc) and doc[i + 1].text == "-" and not doc[i].whitespace_
                                            and not doc[i + 1].whitespace_ and doc[i + 2].lower_ in LOOKS)
               for i in match)


LOOKS = frozenset({"looking", "sounding", "seeming"})  # "stupid-looking", "dumb-sounding"


def modest(s: Sentence, match: tuple[int, ...]) -> bool:
    """ "Dumb question", "silly mistake", "silly me": the strong word qualifies a modest noun."""
    nouns = {a for a, _ in s.signals.get("modest", ())}
    return any(i + 1 in nouns or (s.doc[i].head.i in nouns and s.doc[i].dep_ in MODIFIERS) for i in match)


def positive(s: Sentence, match: tuple[int, ...]) -> bool:
    """Strong words in clear praise ("damn good catch") are enthusiasm, not hostility."""
    return s.compound >= POSITIVE


def cheered(s: Sentence, match: tuple[int, ...]) -> bool:
    """Exclamation marks in a comment that cheers somewhere and complains nowhere ("Docs!!! Awesome!!")
    are excitement, not a raised voice."""
    return s.comment_high >= POSITIVE and s.comment_low > CONTRAST and s.compound > CONTRAST


def sincere(s: Sentence, match: tuple[int, ...]) -> bool:
    """Praise is taken at its word unless some sentence of the comment complains (irony needs a contrast)."""
    return s.comment_low > CONTRAST and s.compound > CONTRAST


def praised_before(s: Sentence, match: tuple[int, ...]) -> bool:
    """Praise after praise ("Nice refactor of the loop. Very readable.") goes on praising; the same short verdict
    after a flaw said flatly ("The commit message is `fix`. Tells the whole story.") is the ironic aside."""
    return s.praise_before


def long_sentence(s: Sentence, match: tuple[int, ...]) -> bool:
    """Sarcastic praise is a short aside ("Great call."); in a long sentence praise words describe things."""
    return sum(1 for t in s.doc if t.is_alpha) > LONG_SENTENCE


def opens_comment(s: Sentence, match: tuple[int, ...]) -> bool:
    """A verdict of praise that opens the comment ("Very elegant. One nit: ...") is taken at its word; the
    same words after the comment has described a flaw ("Force-pushed to main on a Friday. A true legend.")
    are the ironic aside."""
    return s.opens


def thanked(s: Sentence, match: tuple[int, ...]) -> bool:
    return _signal_outside(s, "thanks", match)


def shared(s: Sentence, match: tuple[int, ...]) -> bool:
    """Urgency the writer shares ("Let's get this merged ASAP") is teamwork, not pressure on the reader."""
    return _signal_outside(s, "we", match)


def mentioned(s: Sentence, match: tuple[int, ...]) -> bool:
    """A word in quotes is talked about, not used: 'the word "just" in the docs'. Applies to every rule."""
    doc = s.doc
    first, last = min(match), max(match)
    before = doc[first - 1].text if first > 0 else ""
    after = doc[last + 1].text if last + 1 < len(doc) else ""
    if before and before[-1:] in QUOTES and after[:1] in QUOTES:
        return True
    # Inside a quotation ('the old error said "Access denied, you idiot"') the words are someone else's.
    text = doc.text
    head, tail = text[: doc[first].idx], text[doc[last].idx :]
    straight = head.count('"') % 2 == 1 and '"' in tail
    curly = head.count("“") > head.count("”") and "”" in tail
    # Single quotes too ('the bot posts 'Deploy failed, you broke it''), counted only at word edges, where an
    # apostrophe ("don't", "it's") never stands; the sentence may end inside the quote.
    single = len(_OPEN_SINGLE.findall(head)) > len(_CLOSE_SINGLE.findall(head)) and (
        bool(_CLOSE_SINGLE.search(tail)) or tail.rstrip().endswith(("'", "’")))
    return straight or curly or single


_OPEN_SINGLE = re.compile(r"(?:^|(?<=[\s:(\[]))['‘](?=\w)")
_CLOSE_SINGLE = re.compile(r"(?<=[\w.!?,])['’](?=[\s.,;:!?)\]]|$)")


GUARDS: dict[str, Callable[[Sentence, tuple[int, ...]], bool]] = {
    "asks-question": asks_question,
    "hedged": hedged,
    "negated": negated,
    "compound": compound,
    "self-directed": self_directed,
    "about-writer": about_writer,
    "described": described,
    "no-harm-named": no_harm_named,
    "explained": explained,
    "at-tools": at_tools,
    "a-tool-is-judged": a_tool_is_judged,
    "the-weather-is-judged": the_weather_is_judged,
    "concedes": concedes,
    "aimed-at-no-one": aimed_at_no_one,
    "owns-up": owns_up,
    "clears-the-change": clears_the_change,
    "positive": positive,
    "modest": modest,
    "thanked": thanked,
    "shared": shared,
    "sincere": sincere,
    "cheered": cheered,
    "long-sentence": long_sentence,
    "opens-comment": opens_comment,
    "praised-before": praised_before,
}
ALWAYS = (mentioned,)


# Guards that take praise at its word when nothing in the comment contrasts with it; beside another finding
# that contrast is there, so the engine leaves them out for the model's call beside a finding.
CONTRAST_GUARDS = frozenset({"sincere", "opens-comment"})


def guarded(s: Sentence, match: tuple[int, ...], unless: tuple[str, ...]) -> bool:
    return any(g(s, match) for g in ALWAYS) or any(GUARDS[name](s, match) for name in unless)


def _shouting(doc: Doc) -> bool:
    words = [t for t in doc if t.is_alpha and len(t) > 1]
    return len(words) >= 3 and sum(t.is_upper for t in words) / len(words) > 0.6


def score(severity: str, s: Sentence, match: tuple[int, ...]) -> float:
    """The rule's base, lowered by softeners and positive tone, raised by hostile tone; clamped to 0..1."""
    softening = sum(w for name, w in SOFTENER_WEIGHTS.items() if _signal_outside(s, name, match))
    if asks_question(s, match):
        softening += GENUINE_QUESTION
    value = BASE[severity] - min(softening, MAX_SOFTENING)
    if s.compound <= NEGATIVE or _shouting(s.doc) or "!!" in s.doc.text:
        value += SENTIMENT_WEIGHT
    elif s.compound >= POSITIVE:
        value -= SENTIMENT_WEIGHT
    return round(min(max(value, 0.0), 1.0), 3)


def shows(value: float, sensitivity: str) -> bool:
    return value >= THRESHOLD[sensitivity]
