"""Blueprint: Try it: paste a review comment and see what the check run would say, without storing the text.

The analyzer is the worker's own (``service.analysis.engine``), imported on the first analysis so that
pages which never analyze do not load spaCy into the web process. Each address gets a few requests a
minute (``service.web.limits``, ``Config.try_page_per_minute``): the analyzer is CPU-bound, and one
browser tab must not starve the webhook receiver. The text is never written anywhere: not to the
database, not to a log, and the answer carries ``Cache-Control: no-store``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup, escape

from service.settings import CATEGORIES
from service.web import auth

bp = Blueprint("tryit", __name__)

SENSITIVITIES = ("low", "medium", "high")
# GitHub refuses comment bodies over 65,536 characters, so longer text is not a review comment.
MAX_CHARS = 65_536
EXAMPLE = ("You broke the build again. Just read the docs.\n\n"
           "```python\nretry(3)  # this is a stupid hack\n```\n\nThanks for splitting the parser out.")


@dataclass(frozen=True)
class Choice:
    """What the visitor chose on the form."""

    text: str
    sensitivity: str
    categories: frozenset[str]


@bp.get("/try")
@auth.login_required
def page():
    choice = Choice(EXAMPLE, "medium", frozenset(CATEGORIES))
    return _answer(render_template("tryit/page.html", choice=choice, result=None, **_form_context()))


@bp.post("/try")
@auth.login_required
def analyze():
    auth.check_csrf()
    choice = _choice(request.form)
    if len(choice.text) > MAX_CHARS:
        return _refuse(choice, f"That text is longer than GitHub allows for a comment ({MAX_CHARS:,} characters).",
                       413)
    result = run_analysis(choice)
    return _answer(render_template("tryit/page.html", choice=choice, result=result,
                                   marked=highlight(choice.text, result.findings), **_form_context()))


def run_analysis(choice: Choice):
    """The worker's analyzer with the worker's options, loaded on first use."""
    from service.analysis import engine
    from service.analysis.catalog import Options

    model = current_app.config["TACT"].spacy_model
    engine.load(model)
    options = Options(sensitivity=choice.sensitivity, model=model,
                      disabled_categories=frozenset(CATEGORIES) - choice.categories)
    return engine.analyze(choice.text, options)


def highlight(text: str, findings) -> Markup:
    """The comment as escaped text with each finding's span in <mark>; overlapping spans keep the first."""
    out, at = [], 0
    for number, f in enumerate(sorted(findings, key=lambda f: (f.start, f.end)), 1):
        if f.start < at:
            continue
        out.append(escape(text[at:f.start]))
        out.append(Markup('<mark id="span-{0}" class="cat-{1}-mark">{2}<sup>{0}</sup></mark>').format(
            number, f.category, text[f.start:f.end]))
        at = f.end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def _choice(form) -> Choice:
    sensitivity = form.get("sensitivity", "medium")
    if sensitivity not in SENSITIVITIES:
        sensitivity = "medium"
    categories = frozenset(c for c in CATEGORIES if form.get(f"category-{c}") == "on")
    return Choice(form.get("text", "").replace("\r\n", "\n"), sensitivity, categories)


def _refuse(choice: Choice, message: str, status: int):
    html = render_template("tryit/page.html", choice=choice, result=None, problem=message, **_form_context())
    return _answer(html, status)


def _form_context() -> dict:
    return {"categories": CATEGORIES, "sensitivities": SENSITIVITIES, "max_chars": MAX_CHARS}


def _answer(html: str, status: int = 200):
    return html, status, {"Cache-Control": "no-store"}
