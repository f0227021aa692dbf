"""`tact analyze`, `tact eval` and `tact rules`: the analyzer from the command line.

service.analysis is imported inside each command, never at module top, so `tact --help` and the web
process never load spaCy.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import click

BATCH = 64
SEVERITY_COLORS = {"low": "cyan", "medium": "yellow", "high": "red"}
# Floors for `tact eval --check` on our own held-out corpus (tests/corpus/test.jsonl), set after one look.
FLOORS = {"precision": 0.90, "fpr": 0.03, "recall": 0.35}
_sensitivity = click.option(
    "--sensitivity", type=click.Choice(["low", "medium", "high"]), default="medium", show_default=True
)


class BadLine(click.ClickException):
    """A line of input we cannot use; click prints it without a traceback and exits with 2."""

    exit_code = 2


def _options(sensitivity: str):
    from service.analysis.catalog import Options

    return Options(sensitivity=sensitivity, model=_model())


def _model() -> str:
    from service.config import Config

    return Config.from_env().spacy_model


def _read_jsonl(stream, required: dict[str, type]) -> list[tuple[int, dict]]:
    """Every non-blank line as (line number, object); the first bad line stops everything."""
    rows = []
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadLine(f"line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise BadLine(f"line {number}: expected a JSON object")
        for key, kind in required.items():
            if not isinstance(row.get(key), kind):
                raise BadLine(f"line {number}: {key!r} must be a {kind.__name__}")
        rows.append((number, row))
    return rows


def _batches(items: list, label: str) -> Iterator[list]:
    """Batches of items, with a progress bar on stderr only when a person is watching it."""
    chunks = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
    if not sys.stderr.isatty():
        yield from chunks
        return
    with click.progressbar(chunks, label=label, file=sys.stderr) as bar:
        yield from bar


def _finding_json(f) -> dict:
    keys = ("rule", "category", "severity", "start", "end", "text", "words", "message", "suggestion")
    return {k: getattr(f, k) for k in keys}


NO_REWRITE = ("No rewrite kept every point of the comment without these words, so none is offered; "
              "the notes above say how each one may read.")


def _echo_findings(result) -> None:
    """Each flagged span with its words and reason, then the one rewrite of the whole comment."""
    for f in result.findings:
        head = click.style(
            f"{f.start}-{f.end} {f.severity} {f.rule}", fg=SEVERITY_COLORS[f.severity], bold=True
        )
        click.echo(f"{head} ({f.category}, score {f.score:.2f})")
        click.echo(f"  text:  {f.text}")
        click.echo(f"  words: {f.words}")
        click.echo(f"  why:   {f.message}")
    if result.findings and result.rewrite:
        click.echo("rewrite of the whole comment:")
        click.echo(click.style("  " + result.rewrite.replace("\n", "\n  "), fg="green"))
    elif result.findings:
        click.echo(f"no rewrite: {NO_REWRITE}")
    summary = f"{len(result.findings)} finding(s)" if result.findings else "No findings."
    click.echo(f"{summary} score {result.score:.2f}, sentiment {result.sentiment:+.2f}")
    for note in result.notes:
        click.echo(f"note: {note}")


@click.command("analyze")
@click.argument("text", required=False)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("r", encoding="utf-8"),
    help='Read {"id", "text"} lines from FILE (or - for stdin); write one JSON line per input.',
)
@_sensitivity
def analyze_command(text: str | None, jsonl, sensitivity: str) -> None:
    """Print the findings for TEXT, or analyze a JSON Lines file."""
    if (text is None) == (jsonl is None):
        raise click.UsageError("give either TEXT or --jsonl FILE")
    from service.analysis.engine import analyze, analyze_many

    options = _options(sensitivity)
    if text is not None:
        _echo_findings(analyze(text, options))
        return
    rows = _read_jsonl(jsonl, {"text": str})
    for batch in _batches(rows, "analyzing"):
        for (_, row), result in zip(batch, analyze_many([r["text"] for _, r in batch], options), strict=True):
            out = {
                "id": row.get("id"),
                "flagged": result.flagged,
                "score": result.score,
                "sentiment": result.sentiment,
                "rewrite": result.rewrite,
                "findings": [_finding_json(f) for f in result.findings],
            }
            click.echo(json.dumps(out, ensure_ascii=False))


def _usable(row: dict) -> bool:
    """Rows whose label is disputed, or outside a dataset's binary task (stanford_politeness), are skipped."""
    return not row.get("label_conflict") and row.get("in_binary_task", True) is not False


def _fmt(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.3f}"


def _report_line(name: str, c) -> str:
    return (
        f"{name[:28]:<28} {c.n:>6} {c.harsh:>6} {c.tp + c.fp:>7}  {_fmt(c.precision)}  {_fmt(c.recall)}  "
        f"{_fmt(c.f1)}  {_fmt(c.fpr)}"
    )


def _below_floors(c) -> list[str]:
    problems = []
    if (c.precision or 0.0) < FLOORS["precision"]:
        problems.append(f"precision {_fmt(c.precision)} < {FLOORS['precision']}")
    if (c.recall or 0.0) < FLOORS["recall"]:
        problems.append(f"recall {_fmt(c.recall)} < {FLOORS['recall']}")
    if c.fpr is not None and c.fpr > FLOORS["fpr"]:
        problems.append(f"FPR {_fmt(c.fpr)} > {FLOORS['fpr']}")
    return problems


def _show_errors(pairs, kind: str, limit: int) -> None:
    wanted = [row for row, flagged in pairs if flagged != row["harsh"] and flagged == (kind == "fp")]
    for row in wanted[:limit]:
        click.echo(f"{kind} {row.get('id')}: {' '.join(row['text'].split())[:200]}")


@click.command("eval")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--by", "by", metavar="FIELD", help="Also report per value of FIELD (e.g. category, label, tbdf)."
)
@_sensitivity
@click.option("--check", is_flag=True, help="Exit 1 when overall precision, recall or FPR is past its floor.")
@click.option(
    "--show", type=click.Choice(["fp", "fn"]), help="Print misjudged rows (for tuning on dev data)."
)
@click.option("--limit", default=20, show_default=True, help="How many rows --show prints.")
@click.option("--suggestions", is_flag=True,
              help="FILE is a graded suggestion set (text, category, keep, drop): report rewrite quality.")
def eval_command(file, by: str | None, sensitivity: str, check: bool, show: str | None, limit: int,
                 suggestions: bool) -> None:
    """Precision, recall, F1 and FPR of the analyzer on {"text", "harsh"} rows (or rewrites, --suggestions)."""
    from service.analysis.engine import analyze_many
    from service.analysis.metrics import tally

    if suggestions:
        from service.cli.rewrites import evaluate

        rows = [r for _, r in _read_jsonl(file, {"text": str, "category": str, "keep": list, "drop": list})]
        evaluate(rows, _batches, _options(sensitivity), check)
        return
    rows = [r for _, r in _read_jsonl(file, {"text": str, "harsh": bool}) if _usable(r)]
    options = _options(sensitivity)
    flags: list[bool] = []
    findings = rewritten = 0
    for batch in _batches(rows, "evaluating"):
        results = analyze_many([r["text"] for r in batch], options)
        flags += [a.flagged for a in results]
        findings += sum(len(a.findings) for a in results)
        rewritten += sum(len(a.findings) for a in results if a.rewrite)
    pairs = list(zip(rows, flags, strict=True))
    overall, groups = tally(pairs, by)
    click.echo(
        f"{'group':<28} {'rows':>6} {'harsh':>6} {'flagged':>7}  {'prec.':>5}  {'recall':>5}  "
        f"{'F1':>5}  {'FPR':>5}"
    )
    click.echo(_report_line("overall", overall))
    for name, counts in groups.items():
        click.echo(_report_line(f"{by}={name}", counts))
    if findings:  # how often a finding comes with a rewrite of its comment that passed the gate
        click.echo(
            f"rewrites: {findings} findings, {rewritten} ({rewritten / findings:.0%}) come with a gated rewrite "
            f"of the whole comment, {findings - rewritten} with none (the note explains the words)"
        )
    if show:
        _show_errors(pairs, show, limit)
    problems = _below_floors(overall) if check else []
    if problems:
        raise click.ClickException("below the agreed floors: " + "; ".join(problems))


@click.command("rules")
@click.option(
    "--markdown", is_flag=True, help="Print docs/rules.md (one section per rule, with its examples)."
)
def rules_command(markdown: bool) -> None:
    """List the analyzer's rules."""
    from service.analysis.docs import rules_markdown
    from service.analysis.engine import validated_rules

    rules = validated_rules()
    if markdown:
        click.echo(rules_markdown(rules), nl=False)
        return
    for rule in rules:
        click.echo(f"{rule.id:<20} {rule.category:<14} {rule.severity:<7} {rule.message}")


@click.command("train")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--name", default="tone", show_default=True, help="Writes service/analysis/model/NAME.json.")
@click.option("--check", is_flag=True, help="Only tell whether the stored model was trained on exactly FILES.")
def train_command(files: tuple[str, ...], name: str, check: bool) -> None:
    """Train the tone model on team-written rows: {"text", "harsh", "category"} lines, or graded suggestion
    lines ({"text", "category", "drop", "acceptable"}: the jab sentences are harsh, the rewrites civil).

    Train only on rows the team wrote and only on dev halves; test halves measure it."""
    from service.analysis import learned
    from service.analysis.engine import sentence_words
    from service.analysis.nlp import sentiment

    rows = []
    for path in files:
        with open(path, encoding="utf-8") as stream:
            rows += [row for _, row in _read_jsonl(stream, {"text": str, "category": str})]
    digest = learned.rows_digest(rows)
    target = learned.MODEL_DIR / f"{name}.json"
    if check:
        stored = learned.load(name).trained_on if target.exists() else "nothing"
        if stored != digest:
            raise click.ClickException(f"{target.name} was not trained on these rows: run `make model`")
        click.echo(f"{target.name} was trained on these {len(rows)} rows")
        return
    texts, kinds = [], []
    for row in rows:
        if "acceptable" in row:
            texts += [row["text"], *row["acceptable"]]
            kinds += [("jab", row)] + [("civil", row)] * len(row["acceptable"])
        else:
            texts.append(row["text"])
            kinds.append(("tone", row))
    examples = []
    for (kind, row), sentences in zip(kinds, sentence_words(texts, _model()), strict=True):
        words = tuple(w for _, w in sentences)
        if kind == "civil" or (kind == "tone" and not row["harsh"]):
            examples.append(learned.Example(words, learned.NONE))
        elif kind == "tone":
            examples.append(learned.Example(words, learned.CATEGORY_OF[row["category"]]))
        else:
            drops = [d.lower() for d in row["drop"]]
            known = tuple(int(any(d in original.lower() for d in drops)) for original, _ in sentences)
            examples.append(learned.Example(words, learned.CATEGORY_OF[row["category"]], known))
    model = learned.train(examples, sentiment().lexicon, digest, log=click.echo)
    learned.MODEL_DIR.mkdir(exist_ok=True)
    target.write_text(model.to_json(), encoding="utf-8")
    click.echo(f"wrote {target}")
