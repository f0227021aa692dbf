"""Prose extraction from Markdown that keeps every character offset of the original text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Each pattern finds text that is not the author's own prose: code, quotes of someone else, links, markup,
# and trailers that tools add. Fenced blocks include ```suggestion blocks, which are code by definition.
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)", re.S | re.M)
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_QUOTE = re.compile(r"^[ \t]{0,3}>[^\n]*$", re.M)
_INDENTED = re.compile(r"(?:(?<=\n\n)|\A)(?:(?: {4}|\t)[^\n]*(?:\n|\Z))+")
# A code span opens with a whole run of backticks (the lookbehind), so a run of 20,000 backticks is
# tried once, not from each of its positions: that took 25 s on one hostile comment. Longer runs than
# 16 are no code span anyone writes.
_INLINE_CODE = re.compile(r"(?<!`)(`{1,16})(?!`)(.+?)(?<!`)\1(?!`)")
# Bounded alt text and target: unbounded, each of 10,000 "![" scanned to the end of the line (3 s).
_IMAGE = re.compile(r"!\[[^\]\n]{0,1000}\]\([^)\n]{0,2000}\)")
_LINK_TARGET = re.compile(r"(?<=\])\([^)\s]*(?:\s+\"[^\"\n]*\")?\)")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]`]+", re.I)
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>\n]*)?/?>")
_TRAILER = re.compile(
    r"^(?:signed-off-by|co-authored-by|change-id|reviewed-on|reviewed-by|tested-by|acked-by|cc):[^\n]*$"
    r"|^patch set \d+:[^\n]*$",
    re.I | re.M,
)
# A writer's own "I mean this": an HTML comment GitHub does not render. It must be read before
# extract() blanks HTML comments with the rest of the markup.
_DELIBERATE = re.compile(r"<!--\s*tact\s*:\s*ignore\s*-->", re.I)
# Names written without backticks are still code where the tokenizer would cut them into words: a path
# ("platform/wtf/Assertions.h") or an underscored call ("__ffs()"). A plain "close()" or "utils.py" stays one
# token, or reads as the word it is, so it is left for the parser.
_BARE_NAME = re.compile(r"(?<![\w/])(?:[\w.-]+/[\w./-]*\w|\w*_\w*\(\))(?![\w/])")
_BLANKED = (_FENCE, _HTML_COMMENT, _QUOTE, _INDENTED, _IMAGE, _LINK_TARGET, _URL, _HTML_TAG, _TRAILER)


@dataclass(frozen=True)
class Prose:
    """The text with everything but prose blanked out; `masked[i]` lines up with `original[i]`."""

    original: str
    masked: str


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _code_placeholder(chars: list[str], start: int, end: int) -> None:
    """Inline code stands for a name, so keep a word in its place for the parser ("use `x` here")."""
    _blank(chars, start, end)
    chars[start : start + min(4, end - start)] = list("code"[: end - start])


def _is_name(word: str) -> bool:
    """Tell a bare name from prose that looks like one: "and/or", "CI/CD" and "read/write" stay prose."""
    if "/" in word:
        return word.count("/") >= 2 or "." in word.rsplit("/", 1)[-1]
    return any(ch.isalpha() for ch in word)


def extract(text: str) -> Prose:
    """Blank code, quotes, URLs, markup and trailers, and neutralize invisible characters, in place."""
    chars = list(text)
    for pattern in _BLANKED:
        for match in pattern.finditer(text):
            _blank(chars, match.start(), match.end())
    masked = "".join(chars)
    for match in _INLINE_CODE.finditer(masked):
        if "\n" not in match.group(0):
            _code_placeholder(chars, match.start(), match.end())
    for match in _BARE_NAME.finditer("".join(chars)):
        shortcode = text[match.start() - 1 : match.start()] == ":" == text[match.end() : match.end() + 1]
        if _is_name(match.group(0)) and not shortcode:  # ":rolling_eyes:" is an emoji, not a name
            _code_placeholder(chars, match.start(), match.end())
    for match in _NOT_PLAIN.finditer(text):  # printable ASCII is never invisible: only the rest is looked up
        i, ch = match.start(), match.group(0)
        if chars[i] == ch and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            chars[i] = " "
    return Prose(original=text, masked="".join(chars))


_NOT_PLAIN = re.compile(r"[^\x20-\x7e\n\t]")


def marked_deliberate(text: str) -> bool:
    """Whether the comment carries `<!-- tact: ignore -->`: its writer chose these words on purpose."""
    return _DELIBERATE.search(text) is not None
