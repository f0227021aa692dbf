"""A small trained component: softmax regression over words, word pairs and word shapes of one sentence.

Why a model beside the rules: rules written from examples catch the phrasings their authors saw and few
others (on comments written blind by other authors, the family rules tuned on one half caught 0.70 of it
and 0.41 of the other). A linear model over shapes ("YOU ... NEG", a praise word and a complaint in one
sentence, a question aimed at the reader) and words carries a family's vocabulary to new sentences.

It reads only the tokenizer's output, so it runs on every sentence without the parser and costs a few
dictionary lookups per word. It is trained by `tact train` on rows the team wrote (never on the public
evaluation sets) and stored as data next to the rules: `model/tone.json`, with the SHA-256 of the rows it
was trained on, so a test can tell when the corpus changed and the model was not trained again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

MODEL_DIR = Path(__file__).with_name("model")
NONE = "none"
# The corpora's categories, said in the catalog's: a family is how a comment is harsh, the category is what
# a repository can switch off.
CATEGORY_OF = {
    "condescension": "condescension", "presupposed-knowledge": "condescension", "teaching-down": "condescension",
    "minimizer": "condescension", "blame": "blame", "insult": "insult", "insulting": "insult",
    "name-calling": "insult", "profanity": "profanity", "vulgarity": "profanity", "sarcasm": "sarcasm",
    "mocking": "sarcasm", "irony": "sarcasm", "impatience": "impatience", "repetition": "impatience",
    "entitlement": "impatience", "dismissive": "dismissive", "refusal": "dismissive",
}
YOU = frozenset({"you", "your", "yours", "yourself", "yourselves", "u", "ur", "ya", "y'all"})
NEGATIVE, POSITIVE = -1.5, 1.5  # VADER valences past these are a word's shape, not only its spelling
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*%?$")
MIN_COUNT = 2  # a feature seen once in training is a row's spelling, not a family's
ITERATIONS, STEP, L2 = 300, 0.05, 1e-4
FOLDS = 5
TARGET_FPR = 0.003  # the threshold is the cross-validated score that flags this share of civil comments
CONTEXT_FPR = 0.03  # and the context threshold, for a sentence beside another finding, this share
# The shares of civil sentences at which the cross-validated scores are kept (Model.threshold_for): 1e-4 to 0.5
QUANTILE_SHARES = tuple(round(10 ** (-4 + k / 10), 6) for k in range(38))


def _shape(word: str, lexicon: dict[str, float]) -> str:
    if word in YOU:
        return "YOU"
    if word == "code":  # inline code is masked to the word "code" before the analyzer sees the sentence
        return "CODE"
    if _NUMBER.match(word):
        return "NUM"
    value = lexicon.get(word)
    if value is not None and value <= NEGATIVE:
        return "NEG"
    if value is not None and value >= POSITIVE:
        return "POS"
    return word


def features(words: Sequence[str], lexicon: dict[str, float]) -> set[str]:
    """The features of one sentence, from its lowercased tokens (whitespace tokens left out)."""
    shapes = [_shape(w, lexicon) for w in words]
    found = {f"w:{w}" for w in words}
    found |= {f"s:{s}" for s, w in zip(shapes, words, strict=True) if s != w}
    plain, shaped = ["<s>", *words, "</s>"], ["<s>", *shapes, "</s>"]
    found |= {f"b:{a}_{b}" for a, b in zip(plain, plain[1:], strict=False)}
    found |= {f"sb:{a}_{b}" for a, b in zip(shaped, shaped[1:], strict=False)}
    found |= {f"st:{a}_{b}_{c}" for a, b, c in zip(shaped, shaped[1:], shaped[2:], strict=False)}
    kinds = set(shapes)
    question = bool(words) and words[-1] == "?"
    for name, present in (("you", "YOU" in kinds), ("question", question), ("exclaims", "!" in words),
                          ("praise+complaint", {"POS", "NEG"} <= kinds), ("you+neg", {"YOU", "NEG"} <= kinds),
                          ("you+question", "YOU" in kinds and question)):
        if present:
            found.add(f"has:{name}")
    return found


@dataclass(frozen=True)
class Model:
    """Weights per feature and class; `threshold` applies to the probability that a sentence is harsh."""

    classes: tuple[str, ...]
    weights: dict[str, tuple[float, ...]]
    bias: tuple[float, ...]
    threshold: float
    trained_on: str  # SHA-256 of the training rows, as `rows_digest` computes it
    # Beside another finding of the same comment: the cross-validated score that flags CONTEXT_FPR of civil
    # comments (engine._learned says why a harsh comment's other sentences may be judged more loosely)
    context_threshold: float = 1.0
    # (share of civil sentences, cross-validated score at that share), from the rarest share up, and the mean
    # number of sentences of a civil training comment: what `threshold_for` scales a long comment's bar with
    sentence_quantiles: tuple[tuple[float, float], ...] = ()
    sentences_per_comment: float = 1.0

    def threshold_for(self, sentences: int) -> float:
        """The bar for one sentence of a comment of this many sentences.

        `threshold` is calibrated on whole training comments, most of one or two sentences, and a comment is
        flagged when any sentence clears it: a comment of twenty sentences has twenty chances to look harsh.
        Measured on public issue threads, civil comments of nine sentences or more were flagged eight times as
        often as one-sentence ones. So beyond the training comments' mean length, each sentence must be as
        rare among civil sentences as the mean-length comment's bar, divided by the length ratio."""
        if sentences <= self.sentences_per_comment or not self.sentence_quantiles:
            return self.threshold
        return max(self.threshold, _interpolate(self.sentence_quantiles,
                                                self._threshold_share * self.sentences_per_comment / sentences))

    @functools.cached_property
    def _threshold_share(self) -> float:
        """The share of civil sentences that clear `threshold`, read once from the table."""
        return _interpolate(self.sentence_quantiles, self.threshold, by_score=True)

    def scores(self, found: Iterable[str]) -> list[float]:
        totals = list(self.bias)
        for f in found:
            w = self.weights.get(f)
            if w is not None:
                for k, value in enumerate(w):
                    totals[k] += value
        return totals

    def predict(self, found: set[str]) -> tuple[float, str]:
        """(probability that the sentence is harsh, the most likely category)."""
        totals = self.scores(found)
        top = max(totals)
        exp = [math.exp(t - top) for t in totals]
        p_none = exp[0] / sum(exp)
        best = max(range(1, len(totals)), key=lambda k: totals[k])
        return 1.0 - p_none, self.classes[best]

    def cue_words(self, words: Sequence[str], category: str) -> list[int]:
        """Indices of the words that pushed the sentence towards the category most: what the note names."""
        k = self.classes.index(category)
        gain = []
        for i, w in enumerate(words):
            weight = self.weights.get(f"w:{w}")
            if weight is not None and weight[k] - weight[0] > 0 and any(ch.isalpha() for ch in w):
                gain.append((weight[k] - weight[0], i))
        return sorted(i for _, i in sorted(gain, reverse=True)[:3])

    def to_json(self) -> str:
        body = {"classes": list(self.classes), "threshold": self.threshold, "trained_on": self.trained_on,
                "context_threshold": self.context_threshold,
                "sentence_quantiles": [[round(a, 6), round(b, 5)] for a, b in self.sentence_quantiles],
                "sentences_per_comment": round(self.sentences_per_comment, 4),
                "bias": [round(b, 5) for b in self.bias],
                "weights": {f: [round(v, 5) for v in w] for f, w in sorted(self.weights.items())}}
        return json.dumps(body, separators=(",", ":"), sort_keys=True) + "\n"


@functools.cache
def load(name: str) -> Model:
    raw = json.loads((MODEL_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return Model(classes=tuple(raw["classes"]), weights={f: tuple(w) for f, w in raw["weights"].items()},
                 bias=tuple(raw["bias"]), threshold=raw["threshold"], trained_on=raw["trained_on"],
                 context_threshold=raw.get("context_threshold", 1.0),
                 sentence_quantiles=tuple((a, b) for a, b in raw.get("sentence_quantiles", ())),
                 sentences_per_comment=raw.get("sentences_per_comment", 1.0))


def _interpolate(table: Sequence[tuple[float, float]], value: float, by_score: bool = False) -> float:
    """The score at a share of civil sentences (or, by_score, the share at a score), log-linear between the
    table's points: shares run from 1e-4 up, scores down."""
    pairs = [(b, a) for a, b in table] if by_score else list(table)
    if by_score:
        pairs.reverse()  # scores ascending, like the shares of the other direction
    xs = [x for x, _ in pairs]
    if value <= xs[0]:
        return pairs[0][1]
    if value >= xs[-1]:
        return pairs[-1][1]
    for (x0, y0), (x1, y1) in zip(pairs, pairs[1:], strict=False):
        if x0 <= value <= x1:
            if by_score:  # interpolate the share in log space, the score linearly
                t = (value - x0) / (x1 - x0) if x1 > x0 else 0.0
                return math.exp(math.log(y0) + t * (math.log(y1) - math.log(y0)))
            t = (math.log(value) - math.log(x0)) / (math.log(x1) - math.log(x0)) if x1 > x0 else 0.0
            return y0 + t * (y1 - y0)
    return pairs[-1][1]


def rows_digest(rows: Iterable[dict]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps([row["text"], row.get("harsh", True), row.get("category", "")]).encode())
    return digest.hexdigest()


# Training: plain full-batch gradient descent with Adam steps, so the same rows give the same model.


def _fit(samples: list[tuple[set[str], int]], classes: int):
    import numpy as np  # only training needs numpy arrays; scoring is dictionary lookups

    counts = Counter(f for found, _ in samples for f in found)
    vocab = {f: j for j, f in enumerate(sorted(f for f, c in counts.items() if c >= MIN_COUNT))}
    rows, cols = [], []  # sorted by sample, as reduceat needs
    for i, (found, _) in enumerate(samples):
        for f in sorted(found):
            if f in vocab:
                rows.append(i)
                cols.append(vocab[f])
    rows_a, cols_a = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    # Sums per sample and per feature by reduceat over sorted runs (numpy's add.at is far slower); a sample
    # with no known feature has an empty run, which reduceat would fill with its neighbour's, so it is zeroed.
    n = len(samples)
    row_starts = np.searchsorted(rows_a, np.arange(n))
    empty = np.append(row_starts[1:], len(rows_a)) == row_starts
    order = np.argsort(cols_a, kind="stable")
    col_starts = np.searchsorted(cols_a[order], np.arange(len(vocab)))
    labels = np.array([y for _, y in samples])
    onehot = np.eye(classes)[labels]
    w = np.zeros((len(vocab), classes))
    b = np.zeros(classes)
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    for step in range(1, ITERATIONS + 1):
        logits = np.add.reduceat(w[cols_a], np.minimum(row_starts, len(rows_a) - 1), axis=0) if len(rows_a) else 0
        logits = np.where(empty[:, None], 0.0, logits) + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / n
        g_w = np.add.reduceat(g[rows_a][order], col_starts, axis=0) + L2 * w
        g_b = g.sum(axis=0)
        for param, grad, m, v in ((w, g_w, m_w, v_w), (b, g_b, m_b, v_b)):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= STEP * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return vocab, w, b


def _model(vocab, w, b, classes, threshold: float, digest: str) -> Model:
    return Model(classes=tuple(classes), weights={f: tuple(float(x) for x in w[j]) for f, j in vocab.items()},
                 bias=tuple(float(x) for x in b), threshold=threshold, trained_on=digest)


@dataclass(frozen=True)
class Example:
    """One training comment cut into sentences: a label per sentence where it is known, else one for all."""

    sentences: tuple[tuple[str, ...], ...]  # lowercased tokens per sentence
    category: str  # NONE for a civil comment
    known: tuple[int | None, ...] = ()  # per sentence, 1/0 where the row says which sentences carry the jab


def train(examples: list[Example], lexicon: dict[str, float], digest: str, log=print) -> Model:
    """Fit on single sentences with known labels, then let each harsh comment of several sentences lend its
    most harsh-looking sentence (multiple-instance learning, one round); pick the threshold by k-fold."""
    classes = [NONE, *sorted(set(CATEGORY_OF.values()))]
    index = {c: k for k, c in enumerate(classes)}

    def labeled(subset: list[Example]):
        known, bags = [], []
        for ex in subset:
            found = [features(s, lexicon) for s in ex.sentences]
            if not found:  # all code or quotes: nothing of the writer's own to learn from
                continue
            if ex.category == NONE:
                known += [(f, 0) for f in found]
            elif ex.known:
                known += [(f, index[ex.category] if k else 0) for f, k in zip(found, ex.known, strict=True)]
            elif len(found) == 1:
                known.append((found[0], index[ex.category]))
            else:
                bags.append((found, index[ex.category]))
        return known, bags

    def fit(subset: list[Example]) -> Model:
        known, bags = labeled(subset)
        first = _model(*_fit(known, len(classes)), classes, 0.5, digest)
        lent = [(max(found, key=lambda f: first.predict(f)[0]), k) for found, k in bags]
        return _model(*_fit(known + lent, len(classes)), classes, 0.5, digest)

    civil: list[float] = []
    civil_sentences: list[float] = []  # every sentence of the held-out civil comments
    harsh: list[float] = []  # per held-out harsh comment, its most harsh-looking sentence
    for fold in range(FOLDS):
        held = [ex for i, ex in enumerate(examples) if i % FOLDS == fold]
        model = fit([ex for i, ex in enumerate(examples) if i % FOLDS != fold])
        for ex in held:
            probs = [model.predict(features(s, lexicon))[0] for s in ex.sentences]
            if not probs:
                continue
            if ex.category == NONE:
                civil.append(max(probs))  # a comment is flagged when any of its sentences is
                civil_sentences += probs
            else:
                harsh.append(max(probs))
    civil.sort(reverse=True)
    threshold = civil[int(len(civil) * TARGET_FPR)] if civil else 0.5
    context = civil[int(len(civil) * CONTEXT_FPR)] if civil else 0.5
    civil_sentences.sort(reverse=True)
    quantiles = tuple((share, civil_sentences[min(int(len(civil_sentences) * share), len(civil_sentences) - 1)])
                      for share in QUANTILE_SHARES) if civil_sentences else ()
    model = fit(examples)
    final = Model(model.classes, model.weights, model.bias, round(threshold, 4), digest, round(context, 4),
                  quantiles, len(civil_sentences) / max(len(civil), 1))
    recall = sum(p > threshold for p in harsh) / max(len(harsh), 1)
    log(f"{len(examples)} comments, {len(final.weights)} features; threshold {final.threshold:.3f} flags "
        f"{TARGET_FPR:.1%} of civil comments and {recall:.0%} of harsh comments ({FOLDS}-fold cross-validated)")
    for share in (0.001, 0.003, 0.01, 0.02, 0.03, 0.05):  # what another TARGET_FPR would trade
        at = civil[int(len(civil) * share)] if civil else 0.5
        log(f"  at {share:.1%} of civil comments: threshold {at:.3f}, "
            f"{sum(p > at for p in harsh) / max(len(harsh), 1):.0%} of harsh comments")
    return final
