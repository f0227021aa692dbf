"""Charts as SVG drawn on the server by pygal, inlined in the page: no scripts, no CDN, no extra request.

Each chart has a data table next to it in the page (the figures in ``service.web.figures``); the SVG
is a picture of that table, so it is marked as an image with a label and the table is what screen
readers and keyboards use. pygal puts a small configuration script in every SVG for its tooltips;
we drop it, because the page runs no scripts and the table carries the values.
"""

from __future__ import annotations

import re
import sys
from functools import cache

from markupsafe import Markup

from service.settings import CATEGORIES
from service.web.figures import Week
from service.web.headers import csp_nonce

# The dashboard's category colours (tact.css), in CATEGORIES order.
CATEGORY_COLOURS = ("#8250df", "#cf222e", "#9a6700", "#bc4c00", "#0969da", "#1b7c83", "#57606a")
STYLE = {"background": "transparent", "plot_background": "transparent", "foreground": "#1f2328",
         "foreground_strong": "#1f2328", "foreground_subtle": "#d1d9e0", "opacity": "0.9", "opacity_hover": "1",
         "font_family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "label_font_size": 13,
         "major_label_font_size": 13, "legend_font_size": 13, "value_font_size": 12}
COMMON = {"js": [], "disable_xml_declaration": True, "width": 800, "height": 360,
          "x_label_rotation": 0, "show_minor_x_labels": False, "legend_at_bottom": True,
          "legend_at_bottom_columns": 4, "margin": 8, "margin_bottom": 28,
          "truncate_legend": -1, "print_values": False, "explicit_size": False}
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


@cache
def _pygal():
    """pygal, imported on the first chart so that starting a web worker stays quick.

    pygal 3 appends an old-style import hook to sys.meta_path (for `pygal.maps.*` plugins, which we
    do not use). It has no find_spec, so on Python 3.11 every failed import anywhere in the process
    (numpy probes optional modules) then raises an ImportWarning. We take it out again.
    """
    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


def _style(*colours: str):
    return _pygal().style.Style(**STYLE, colors=colours)


def comments_chart(weeks: list[Week], label: str) -> Markup:
    chart = _pygal().Bar(**COMMON, style=_style("#0a5bb5", "#cf222e"), x_labels=_labels(weeks),
                         x_labels_major=_major(weeks), min_scale=1)
    chart.add("Comments analyzed", [w.comments for w in weeks])
    chart.add("Comments flagged", [w.flagged for w in weeks])
    return _svg(chart, label)


def rates_chart(weeks: list[Week], label: str) -> Markup:
    chart = _pygal().Line(**COMMON, style=_style("#cf222e", "#1a7f37"), x_labels=_labels(weeks),
                          x_labels_major=_major(weeks), range=(0, 100), value_formatter=lambda v: f"{v:.0f}%",
                          allow_interruptions=True)
    chart.add("Share of comments flagged", [_percent(w.share_flagged) for w in weeks])
    chart.add('"Looks fine" rate', [_percent(w.looks_fine_rate) for w in weeks])
    return _svg(chart, label)


def categories_chart(weeks: list[Week], label: str) -> Markup:
    chart = _pygal().StackedBar(**COMMON, style=_style(*CATEGORY_COLOURS), x_labels=_labels(weeks),
                                x_labels_major=_major(weeks), min_scale=1)
    for category in CATEGORIES:
        chart.add(category, [w.by_category.get(category, 0) for w in weeks])
    return _svg(chart, label)


def sparkline(values: list[int], label: str) -> Markup:
    """A word-sized line of flagged comments per week, for the repositories table."""
    chart = _pygal().Line(style=_style("#cf222e"), js=[], disable_xml_declaration=True, fill=True,
                          explicit_size=True)
    chart.add("", values or [0])
    svg = chart.render_sparkline(width=120, height=24, interpolate=None)
    return _tidy(svg.decode() if isinstance(svg, bytes) else svg, label)


def _svg(chart, label: str) -> Markup:
    return _tidy(chart.render(is_unicode=True), label)


def _tidy(svg: str, label: str) -> Markup:
    """No script, and styles the Content-Security-Policy admits: pygal's <style> carries this answer's
    nonce, and its one style attribute (the hidden tooltip) becomes the SVG attribute it stands for."""
    svg = _SCRIPT.sub("", svg)
    svg = svg.replace("<style", f'<style nonce="{csp_nonce()}"').replace(' style="opacity: 0"', ' opacity="0"')
    safe = Markup.escape(label)
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{safe}" focusable="false" ', 1))


def _labels(weeks: list[Week]) -> list[str]:
    return [w.monday.strftime("%d %b") for w in weeks]


def _major(weeks: list[Week]) -> list[str]:
    """At most about eight labels on the axis, so they never overlap."""
    step = max(1, len(weeks) // 8)
    return [w.monday.strftime("%d %b") for w in weeks[::step]]


def _percent(value: float | None) -> float | None:
    return None if value is None else 100 * value
