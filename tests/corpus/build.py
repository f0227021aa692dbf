"""Split each hand-written master corpus into dev and test halves, then validate and count them.

    python tests/corpus/build.py [--check] [reviews|threads|families ...]

Without --check it rewrites the splits from the master lists; with --check it only re-reads and
validates them (CI runs that). The splits are stratified by category with a fixed seed, so they
change only when a master list does.
"""

import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIELDS = ("id", "text", "harsh", "category")
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Corpus:
    name: str
    master: str  # the hand-written list
    prefix: str  # of the split files and of the ids
    harsh: tuple[str, ...]
    not_harsh: tuple[str, ...]
    seed: int
    distinct_from: tuple[str, ...] = ()  # other master lists whose texts must not repeat here

    @property
    def categories(self) -> tuple[str, ...]:
        return self.harsh + self.not_harsh

    def split_path(self, split: str) -> Path:
        return HERE / (f"{split}.jsonl" if self.name == "reviews" else f"{self.name}-{split}.jsonl")


CORPORA = {
    "reviews": Corpus("reviews", "all.jsonl", "c",
                      ("condescension", "blame", "insult", "profanity", "sarcasm", "impatience", "dismissive"),
                      ("neutral", "blunt", "softened", "question"), seed=3),
    "threads": Corpus("threads", "threads-all.jsonl", "t",
                      ("impatience", "mocking", "irony", "insulting", "name-calling", "entitlement", "vulgarity",
                       "dismissive"),
                      ("neutral", "blunt", "frustrated-civil", "softened", "question"), seed=11,
                      distinct_from=("all.jsonl",)),
    "families": Corpus("families", "families-all.jsonl", "f",
                       ("presupposed-knowledge", "teaching-down", "minimizer", "blame", "sarcasm", "refusal",
                        "repetition", "insult"),
                       ("tool-grumble", "self-directed", "hedged", "blunt", "neutral", "quoted"), seed=17,
                       distinct_from=("all.jsonl", "threads-all.jsonl")),
}


def load(corpus: Corpus, path: Path) -> list[dict]:
    """Read one corpus file, exiting with file and line number at the first bad row."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            sys.exit(f"{path.name}:{number}: not JSON ({error})")
        problem = check_row(corpus, row)
        if problem:
            sys.exit(f"{path.name}:{number}: {problem}")
        rows.append(row)
    return rows


def check_row(corpus: Corpus, row: object) -> str | None:
    """Return what is wrong with a row, or None when it has exactly the expected shape."""
    if not isinstance(row, dict) or tuple(row) != FIELDS:
        return f"fields must be {list(FIELDS)} in that order"
    ident = row["id"]
    if not isinstance(ident, str) or not ident.startswith(corpus.prefix) or not ident[1:].isdigit():
        return f"id {ident!r} must look like {corpus.prefix}0001"
    if not isinstance(row["text"], str) or not row["text"].strip():
        return "text must be a non-empty string"
    if row["category"] not in corpus.categories:
        return f"unknown category {row['category']!r}"
    if row["harsh"] is not (row["category"] in corpus.harsh):
        return f"harsh={row['harsh']!r} contradicts category {row['category']}"
    return None


def split(corpus: Corpus, rows: list[dict]) -> dict[str, list[dict]]:
    """Stratify by category; odd leftovers alternate between splits so the halves stay equal."""
    rng = random.Random(corpus.seed)
    out: dict[str, list[dict]] = {name: [] for name in SPLITS}
    extra_to_dev = True
    for category in corpus.categories:
        group = sorted((r for r in rows if r["category"] == category), key=lambda r: r["id"])
        rng.shuffle(group)
        half = len(group) // 2 + (len(group) % 2 if extra_to_dev else 0)
        extra_to_dev ^= bool(len(group) % 2)
        out["dev"] += group[:half]
        out["test"] += group[half:]
    return {name: sorted(part, key=lambda r: r["id"]) for name, part in out.items()}


def validate(corpus: Corpus, parts: dict[str, list[dict]], master: list[dict]) -> None:
    """Check ids and texts are unique, distinct from the other corpora, and equal to the master list."""
    every = [r for name in SPLITS for r in parts[name]]
    for field in ("id", "text"):
        repeated = [value for value, n in Counter(r[field] for r in every).items() if n > 1]
        if repeated:
            sys.exit(f"{corpus.name}: duplicate {field}: {repeated[0]!r}")
    for other in corpus.distinct_from:
        lines = (HERE / other).read_text(encoding="utf-8").splitlines()
        taken = {json.loads(line)["text"] for line in lines}
        clash = [r["id"] for r in every if r["text"] in taken]
        if clash:
            sys.exit(f"{clash[0]} repeats a text from {other}")
    if sorted(every, key=lambda r: r["id"]) != sorted(master, key=lambda r: r["id"]):
        sys.exit(f"splits differ from {corpus.master}: rerun build.py {corpus.name}")


def report(corpus: Corpus, parts: dict[str, list[dict]]) -> None:
    """Print counts per split and category, and the share of rows that are not harsh."""
    width = max(map(len, corpus.categories)) + 3
    print(f"{corpus.name + ':':<{width}}" + "".join(f"{name:>7}" for name in SPLITS) + f"{'total':>7}")
    for category in corpus.categories:
        counts = [sum(r["category"] == category for r in parts[name]) for name in SPLITS]
        print(f"{category:<{width}}" + "".join(f"{c:>7}" for c in counts) + f"{sum(counts):>7}")
    sizes = [len(parts[name]) for name in SPLITS]
    print(f"{'total':<{width}}" + "".join(f"{s:>7}" for s in sizes) + f"{sum(sizes):>7}")
    every = [r for name in SPLITS for r in parts[name]]
    print(f"not harsh: {sum(not r['harsh'] for r in every) / len(every):.1%}\n")


def build(corpus: Corpus, check_only: bool) -> None:
    master = load(corpus, HERE / corpus.master)
    if not check_only:
        for name, part in split(corpus, master).items():
            lines = (json.dumps(r, ensure_ascii=False) + "\n" for r in part)
            corpus.split_path(name).write_text("".join(lines), encoding="utf-8")
    parts = {name: load(corpus, corpus.split_path(name)) for name in SPLITS}
    validate(corpus, parts, master)
    report(corpus, parts)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--check"]
    unknown = set(args) - set(CORPORA)
    if unknown:
        sys.exit(f"unknown corpus {sorted(unknown)[0]!r}; choose from {', '.join(CORPORA)}")
    for name in args or CORPORA:
        build(CORPORA[name], check_only="--check" in sys.argv)


if __name__ == "__main__":
    main()
