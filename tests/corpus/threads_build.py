"""Split the hand-written issue-thread corpus into dev and test halves, then validate and count them."""

import json
import random
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARSH = (
    "impatience",
    "mocking",
    "irony",
    "insulting",
    "name-calling",
    "entitlement",
    "vulgarity",
    "dismissive",
)
NOT_HARSH = ("neutral", "blunt", "frustrated-civil", "softened", "question")
CATEGORIES = HARSH + NOT_HARSH
FIELDS = ("id", "text", "harsh", "category")
SEED = 11  # fixed so the split only changes when threads-all.jsonl does
SPLITS = ("dev", "test")


def load(path: Path) -> list[dict]:
    """Read one corpus file, exiting with file and line number at the first bad row."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            sys.exit(f"{path.name}:{number}: not JSON ({error})")
        problem = check_row(row)
        if problem:
            sys.exit(f"{path.name}:{number}: {problem}")
        rows.append(row)
    return rows


def check_row(row: object) -> str | None:
    """Return what is wrong with a row, or None when it has exactly the expected shape."""
    if not isinstance(row, dict) or tuple(row) != FIELDS:
        return f"fields must be {list(FIELDS)} in that order"
    if not isinstance(row["id"], str) or not row["id"].startswith("t") or not row["id"][1:].isdigit():
        return f"id {row['id']!r} must look like t0001"
    if not isinstance(row["text"], str) or not row["text"].strip():
        return "text must be a non-empty string"
    if row["category"] not in CATEGORIES:
        return f"unknown category {row['category']!r}"
    if row["harsh"] is not (row["category"] in HARSH):
        return f"harsh={row['harsh']!r} contradicts category {row['category']}"
    return None


def split(rows: list[dict]) -> dict[str, list[dict]]:
    """Stratify by category; odd leftovers alternate between splits so the halves stay equal."""
    rng = random.Random(SEED)
    out: dict[str, list[dict]] = {name: [] for name in SPLITS}
    extra_to_dev = True
    for category in CATEGORIES:
        group = sorted((r for r in rows if r["category"] == category), key=lambda r: r["id"])
        rng.shuffle(group)
        half = len(group) // 2 + (len(group) % 2 if extra_to_dev else 0)
        extra_to_dev ^= bool(len(group) % 2)
        out["dev"] += group[:half]
        out["test"] += group[half:]
    return {name: sorted(part, key=lambda r: r["id"]) for name, part in out.items()}


def validate(parts: dict[str, list[dict]], master: list[dict]) -> None:
    """Check ids and texts are unique, disjoint from the review corpus, and equal to the master list."""
    every = [r for name in SPLITS for r in parts[name]]
    for field in ("id", "text"):
        repeated = [value for value, n in Counter(r[field] for r in every).items() if n > 1]
        if repeated:
            sys.exit(f"duplicate {field}: {repeated[0]!r}")
    review = HERE / "all.jsonl"
    if review.exists():
        taken = {json.loads(line)["text"] for line in review.read_text(encoding="utf-8").splitlines()}
        clash = [r["id"] for r in every if r["text"] in taken]
        if clash:
            sys.exit(f"{clash[0]} repeats a text from all.jsonl")
    if sorted(every, key=lambda r: r["id"]) != sorted(master, key=lambda r: r["id"]):
        sys.exit("splits differ from threads-all.jsonl: rerun threads_build.py")


def report(parts: dict[str, list[dict]]) -> None:
    """Print counts per split and category, and the share of rows that are not harsh."""
    print(f"{'category':<17}" + "".join(f"{name:>7}" for name in SPLITS) + f"{'total':>7}")
    for category in CATEGORIES:
        counts = [sum(r["category"] == category for r in parts[name]) for name in SPLITS]
        print(f"{category:<17}" + "".join(f"{c:>7}" for c in counts) + f"{sum(counts):>7}")
    sizes = [len(parts[name]) for name in SPLITS]
    print(f"{'total':<17}" + "".join(f"{s:>7}" for s in sizes) + f"{sum(sizes):>7}")
    every = [r for name in SPLITS for r in parts[name]]
    print(f"not harsh: {sum(not r['harsh'] for r in every) / len(every):.1%}")


def main() -> None:
    """Write threads-dev/test from threads-all.jsonl (default), or with --check only validate them."""
    master = load(HERE / "threads-all.jsonl")
    if "--check" not in sys.argv:
        for name, part in split(master).items():
            lines = (json.dumps(r, ensure_ascii=False) + "\n" for r in part)
            (HERE / f"threads-{name}.jsonl").write_text("".join(lines), encoding="utf-8")
    parts = {name: load(HERE / f"threads-{name}.jsonl") for name in SPLITS}
    validate(parts, master)
    report(parts)


if __name__ == "__main__":
    main()
