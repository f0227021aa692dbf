"""The dashboard's figures: a date range from the query string, and per-day counts folded into weeks.

Pure functions over what ``service.storage`` returns, so the pages, the charts and the CSV/JSON
exports all show the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from service.settings import CATEGORIES
from service.storage import DayActivity

DEFAULT_WEEKS = 12
MAX_WEEKS = 104  # two years on one page is already more than a chart can show


class BadRange(ValueError):
    """A from/to the person typed that is not a usable range; the message says why."""


@dataclass(frozen=True)
class Range:
    """Whole weeks, Monday to Sunday, from the week holding ``first`` to the week holding ``last``."""

    first: date
    last: date

    @property
    def mondays(self) -> list[date]:
        start = _monday(self.first)
        return [start + timedelta(weeks=i) for i in range((_monday(self.last) - start).days // 7 + 1)]

    @property
    def since(self) -> datetime:
        return datetime.combine(_monday(self.first), time.min)

    @property
    def until(self) -> datetime:
        return datetime.combine(_monday(self.last) + timedelta(weeks=1), time.min)

    def query(self, extra: Mapping[str, object] | None = None) -> dict[str, object]:
        """The range as URL arguments, with ``extra`` ones (a view's own) beside them."""
        return {**(extra or {}), "from": self.first.isoformat(), "to": self.last.isoformat()}


def date_range(args: Mapping[str, str], today: date) -> Range:
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``; either may be left out (the last twelve weeks up to today)."""
    last = _parse(args.get("to"), "to") or today
    first = _parse(args.get("from"), "from") or _monday(last) - timedelta(weeks=DEFAULT_WEEKS - 1)
    if first > last:
        raise BadRange("The start of the range is after its end.")
    if (_monday(last) - _monday(first)).days // 7 >= MAX_WEEKS:
        raise BadRange(f"Please choose at most {MAX_WEEKS} weeks.")
    return Range(first, last)


def _parse(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRange(f"'{name}' must be a date written as YYYY-MM-DD.") from None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class Week:
    """One week's figures; ``share_flagged`` and ``looks_fine_rate`` are None when there is nothing to divide."""

    monday: date
    comments: int = 0
    flagged: int = 0
    findings: int = 0
    looks_fine: int = 0
    by_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))

    @property
    def share_flagged(self) -> float | None:
        return self.flagged / self.comments if self.comments else None

    @property
    def looks_fine_rate(self) -> float | None:
        return self.looks_fine / self.findings if self.findings else None

    def as_row(self) -> dict[str, object]:
        """The flat record the CSV and JSON exports carry."""
        return {"week": self.monday.isoformat(), "comments_analyzed": self.comments,
                "comments_flagged": self.flagged, "share_flagged": _rounded(self.share_flagged),
                "findings": self.findings, "looks_fine": self.looks_fine,
                "looks_fine_rate": _rounded(self.looks_fine_rate),
                **{f"findings_{c}": n for c, n in self.by_category.items()}}


def weeks(span: Range, activity: Iterable[DayActivity], findings: Iterable[tuple[date, str, int]]) -> list[Week]:
    """Every week of the range, oldest first, empty weeks kept so charts keep their time axis."""
    out = {monday: Week(monday) for monday in span.mondays}
    for a in activity:
        week = out.get(_monday(a.day))
        if week is not None:
            week.comments += a.comments
            week.flagged += a.flagged
            week.looks_fine += a.looks_fine
    for day, category, count in findings:
        week = out.get(_monday(day))
        if week is not None:
            week.findings += count
            week.by_category[category] = week.by_category.get(category, 0) + count
    return list(out.values())


def per_repository(span: Range, activity: Iterable[DayActivity]) -> dict[int, list[int]]:
    """Flagged comments per week for each repository: the sparkline in the repositories table."""
    index = {monday: i for i, monday in enumerate(span.mondays)}
    series: dict[int, list[int]] = defaultdict(lambda: [0] * len(index))
    for a in activity:
        i = index.get(_monday(a.day))
        if i is not None:
            series[a.repository_id][i] += a.flagged
    return dict(series)


def totals(rows: list[Week]) -> Week:
    """The whole range as one row (its ``monday`` is the first week's)."""
    total = Week(rows[0].monday if rows else date.min)
    for w in rows:
        total.comments += w.comments
        total.flagged += w.flagged
        total.findings += w.findings
        total.looks_fine += w.looks_fine
        for c, n in w.by_category.items():
            total.by_category[c] = total.by_category.get(c, 0) + n
    return total


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass(frozen=True)
class Figures:
    """Everything a trends page or an export shows for some repositories over a range."""

    span: Range
    weeks: list[Week]
    total: Week
    rules: list
    sparklines: dict[int, list[int]]


def collect(session, repository_ids: list[int], span: Range, *, author: str | None = None) -> Figures:
    """Read the range's counts from storage once and fold them; ``author`` keeps one person's comments only."""
    from service import storage

    activity = storage.activity_by_day(session, repository_ids, span.since, span.until, author=author)
    findings = [] if author else storage.finding_counts_by_day(session, repository_ids, span.since, span.until)
    rows = weeks(span, activity, findings)
    rules = [] if author else storage.rule_counts(session, repository_ids, span.since, span.until)
    return Figures(span, rows, totals(rows), rules, per_repository(span, activity))
