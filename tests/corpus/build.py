"""Split the hand-written master corpus into dev and test halves, then validate and count them."""

import json
import random
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARSH = ("condescension", "blame", "insult", "profanity", "sarcasm", "impatience", "dismissive")
NOT_HARSH = ("neutral", "blunt", "softened", "question")
CATEGORIES = HARSH + NOT_HARSH
SEED = 3  # fixed so the split never changes unless all.jsonl does
SPLITS = ("dev", "test")


def load(path: Path) -> list[dict]:
    """Read one corpus file, failing loudly with the line number of any bad row."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        problem = check_row(row)
        if problem:
            sys.exit(f"{path.name}:{number}: {problem}")
        rows.append(row)
    return rows


def check_row(row: dict) -> str | None:
    """Return what is wrong with a row, or None when it has the exact expected shape."""
    if set(row) != {"id", "text", "harsh", "category"}:
        return f"fields are {sorted(row)}"
    if not isinstance(row["id"], str) or not isinstance(row["text"], str) or not row["text"].strip():
        return "id and text must be non-empty strings"
    if row["category"] not in CATEGORIES:
        return f"unknown category {row['category']!r}"
    if row["harsh"] is not (row["category"] in HARSH):
        return f"harsh={row['harsh']} contradicts category {row['category']}"
    return None


def split(rows: list[dict]) -> dict[str, list[dict]]:
    """Stratify by category; odd leftovers alternate between splits so totals stay near 50/50."""
    rng = random.Random(SEED)
    out: dict[str, list[dict]] = {name: [] for name in SPLITS}
    extra_to = 0
    for category in CATEGORIES:
        group = sorted((r for r in rows if r["category"] == category), key=lambda r: r["id"])
        rng.shuffle(group)
        half = len(group) // 2 + (len(group) % 2 if extra_to == 0 else 0)
        extra_to ^= len(group) % 2
        out["dev"] += group[:half]
        out["test"] += group[half:]
    return {name: sorted(part, key=lambda r: r["id"]) for name, part in out.items()}


def report(parts: dict[str, list[dict]]) -> None:
    """Print counts per split and category, and the share of rows that are not harsh."""
    print(f"{'category':<14}" + "".join(f"{name:>7}" for name in SPLITS) + f"{'total':>7}")
    for category in CATEGORIES:
        counts = [sum(r["category"] == category for r in parts[name]) for name in SPLITS]
        print(f"{category:<14}" + "".join(f"{c:>7}" for c in counts) + f"{sum(counts):>7}")
    sizes = [len(parts[name]) for name in SPLITS]
    print(f"{'total':<14}" + "".join(f"{s:>7}" for s in sizes) + f"{sum(sizes):>7}")
    every = [r for name in SPLITS for r in parts[name]]
    print(f"not harsh: {sum(not r['harsh'] for r in every) / len(every):.1%}")


def validate(parts: dict[str, list[dict]], master: list[dict]) -> None:
    """Check ids and texts are unique and that the splits are exactly the master list."""
    every = [r for name in SPLITS for r in parts[name]]
    ids = Counter(r["id"] for r in every)
    texts = Counter(r["text"] for r in every)
    if max(ids.values()) > 1 or max(texts.values()) > 1:
        sys.exit("duplicate id or text across splits")
    if sorted(every, key=lambda r: r["id"]) != sorted(master, key=lambda r: r["id"]):
        sys.exit("splits differ from all.jsonl: rerun build.py")


def main() -> None:
    """Write dev/test from all.jsonl (default), or with --check only re-read and validate them."""
    master = load(HERE / "all.jsonl")
    if "--check" not in sys.argv:
        for name, part in split(master).items():
            lines = (json.dumps(r, ensure_ascii=False) + "\n" for r in part)
            (HERE / f"{name}.jsonl").write_text("".join(lines), encoding="utf-8")
    parts = {name: load(HERE / f"{name}.jsonl") for name in SPLITS}
    validate(parts, master)
    report(parts)


if __name__ == "__main__":
    main()
