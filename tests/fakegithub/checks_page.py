"""The fake's check-run page (a run's `html_url`, /{owner}/{repo}/runs/{id}), drawn plainly like GitHub's checks tab.

It shows what GitHub shows of a run: its name and conclusion, the output's title, the summary rendered
as Markdown (GitHub's renderer drops raw HTML; CommonMark with html off does too), the text, and the
annotations with their level, path, lines, title and message. The README's annotation screenshot is
taken from this page, so a person sees what their reviewers would see without reaching github.com.
"""

from __future__ import annotations

from html import escape

from flask import Flask, Response
from markdown_it import MarkdownIt

from tests.fakegithub import limits
from tests.fakegithub.server import fail, hub
from tests.fakegithub.state import Annotation, CheckRun

MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
# Octicon-like marks and GitHub's colours for each annotation level and conclusion.
LEVELS = {"notice": ("i", "#0969da", "notice"), "warning": ("!", "#9a6700", "warning"),
          "failure": ("\u00d7", "#d1242f", "failure")}
CONCLUSIONS = {"success": ("\u2713", "#1a7f37"), "neutral": ("\u25a1", "#59636e"), "failure": ("\u00d7", "#d1242f"),
               "action_required": ("!", "#9a6700"), "cancelled": ("\u2298", "#59636e"),
               "skipped": ("\u2298", "#59636e"), "timed_out": ("!", "#d1242f")}
STYLE = """
body{margin:0;font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif;
 color:#1f2328;background:#fff}
header{border-bottom:1px solid #d1d9e0;padding:16px 24px;background:#f6f8fa}
header .repo{color:#59636e}header h1{font-size:20px;font-weight:600;margin:4px 0 0}
main{max-width:980px;margin:24px auto;padding:0 24px}
.run{border:1px solid #d1d9e0;border-radius:6px}
.run>h2{font-size:16px;margin:0;padding:12px 16px;border-bottom:1px solid #d1d9e0;background:#f6f8fa;
 border-radius:6px 6px 0 0}
.mark{display:inline-block;width:18px;height:18px;line-height:18px;border-radius:50%;color:#fff;text-align:center;
 font-size:12px;font-weight:700;margin-right:8px;vertical-align:1px}
.output{padding:16px}.output h3{font-size:20px;margin:0 0 8px}
.summary p{margin:0 0 10px}.summary code{background:#eff1f3;padding:.2em .4em;border-radius:6px;font-size:85%}
.annotations{margin:16px;border:1px solid #d1d9e0;border-radius:6px}
.annotations>h4{margin:0;padding:8px 16px;font-size:14px;border-bottom:1px solid #d1d9e0;background:#f6f8fa}
.annotation{padding:12px 16px;border-top:1px solid #d1d9e0}.annotation:first-of-type{border-top:0}
.annotation .title{font-weight:600}.annotation .where{color:#59636e;font-family:ui-monospace,SFMono-Regular,
 Menlo,Consolas,monospace;font-size:12px;margin:2px 0 6px 26px}
.annotation pre{white-space:pre-wrap;margin:0 0 0 26px;font:13px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,
 sans-serif}
"""


def check_run_page(owner: str, name: str, run_id: int):
    run = hub().state.run(run_id)
    if run is None or run.repo != f"{owner}/{name}":
        return fail(limits.not_found())
    html = f"""<!doctype html><html lang=en><meta charset=utf-8>
<link rel=icon href="data:,"><title>{escape(run.name)} · {escape(run.repo)} · fake GitHub</title><style>{STYLE}</style>
<header><div class=repo>{escape(run.repo)}</div><h1>{escape(run.output.title or run.name)}</h1></header>
<main><section class=run id=check-run>{_heading(run)}<div class=output>
<h3>{escape(run.output.title or '')}</h3>
<div class=summary>{MARKDOWN.render(run.output.summary or '')}</div>
{f'<div class=text>{MARKDOWN.render(run.output.text)}</div>' if run.output.text else ''}
</div>{_annotations(run)}</section></main></html>"""
    return Response(html, 200, content_type="text/html; charset=utf-8")


def _heading(run: CheckRun) -> str:
    state = run.conclusion or run.status
    mark, colour = CONCLUSIONS.get(state, ("\u25cf", "#9a6700"))
    return (f'<h2><span class=mark style="background:{colour}">{mark}</span>{escape(run.name)}'
            f' <small style="font-weight:400;color:#59636e">{escape(state.replace("_", " "))}</small></h2>')


def _annotations(run: CheckRun) -> str:
    if not run.annotations:
        return ""
    counts: dict[str, int] = {}
    for note in run.annotations:
        counts[note.annotation_level] = counts.get(note.annotation_level, 0) + 1
    label = ", ".join(f"{n} {LEVELS.get(level, ('', '', level))[2]}{'s' if n != 1 else ''}"
                      for level, n in counts.items())
    return (f"<div class=annotations id=annotations><h4>Annotations</h4><p style='margin:8px 16px;color:#59636e'>"
            f"{escape(label)}</p>" + "".join(_annotation(run, note) for note in run.annotations) + "</div>")


def _annotation(run: CheckRun, note: Annotation) -> str:
    mark, colour, word = LEVELS.get(note.annotation_level, ("?", "#59636e", note.annotation_level))
    title = note.title or f"Check {word}"  # GitHub's wording when an annotation has no title
    lines = f"L{note.start_line}" + (f"-L{note.end_line}" if note.end_line != note.start_line else "")
    return (f'<div class=annotation><div class=title><span class=mark style="background:{colour}">{mark}</span>'
            f"{escape(title)}</div><div class=where>{escape(note.path)}#{lines}</div>"
            f"<pre>{escape(note.message)}</pre></div>")


def register(app: Flask) -> None:
    app.add_url_rule("/<owner>/<name>/runs/<int:run_id>", view_func=check_run_page)
