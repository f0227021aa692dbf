"""Reading a repository's recent history for a backfill: pull requests by last update, their comments.

Pagination follows GitHub's `Link` headers (PyGithub's PaginatedList; Docs "Using pagination in the
REST API"), 100 items a page. Pull requests are read one page per call so the caller can save its
place between pages; rate limits surface as ``RateLimited`` with ``retry_after``, for the caller to
pause on rather than fail (Docs "Rate limits for the REST API").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from service.github.client import Client, PullComment, _author


@dataclass(frozen=True)
class PullSummary:
    number: int
    state: str  # open | closed
    updated_at: datetime  # naive UTC, like storage's times


@dataclass(frozen=True)
class PastComment:
    """A comment from history with the moment it was written (a review: when it was submitted)."""

    comment: PullComment
    created_at: datetime | None


def pull_requests_page(client: Client, repo_full_name: str, page: int) -> tuple[list[PullSummary], bool]:
    """Page ``page`` (0-based) of every pull request, most recently updated first; and whether more follow."""

    def fetch():
        pulls = client.repo(repo_full_name).get_pulls(state="all", sort="updated", direction="desc")
        found = pulls.get_page(page)
        return [PullSummary(p.number, p.state, _naive(p.updated_at)) for p in found], len(found) >= 100

    return client.call(fetch)


def comments_since(client: Client, repo_full_name: str, number: int, since: datetime) -> list[PastComment]:
    """The PR's diff comments, review bodies and conversation comments written at or after ``since``."""
    aware = since.replace(tzinfo=UTC)

    def fetch():
        repo = client.repo(repo_full_name)
        pull = repo.get_pull(number)
        found = [PastComment(PullComment("review_comment", c.id, c.body, *_author(c.user), c.html_url, c.path,
                                         c.line, c.start_line), _naive(c.created_at))
                 for c in pull.get_review_comments(since=aware)]
        # Reviews have no `since` filter (Spec: pulls/list-reviews); they are few per PR.
        found += [PastComment(PullComment("review", r.id, r.body, *_author(r.user), r.html_url),
                              _naive(r.submitted_at)) for r in pull.get_reviews() if r.body]
        found += [PastComment(PullComment("issue_comment", c.id, c.body, *_author(c.user), c.html_url),
                              _naive(c.created_at)) for c in repo.get_issue(number).get_comments(since=aware)]
        return [c for c in found if c.created_at is None or c.created_at >= since]

    return client.call(fetch)


def _naive(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
