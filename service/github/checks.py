"""Publishing a check run: inside GitHub's limits, annotations in batches of 50, never twice on a retry.

Checks API rules (https://docs.github.com/rest/checks/runs): at most 50 annotations per
request, later ones appended by PATCH; summary and text at most 65535 characters, which GitHub
counts in bytes (github/docs#35252); annotation message and raw_details at most 64 KB; titles at
most 255 characters. PyGithub passes `output` through unchecked, so we fit it here:
https://github.com/PyGithub/PyGithub/blob/v2.10.0/github/CheckRun.py
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, replace

from service.github.retry import RateLimited, Unavailable

# GitHub's limits on a check run (docs "Create a check run"), stated here once; worker.check_run builds within them.
BATCH = 50  # annotations per request
MARKDOWN_BYTES = 65535  # summary and text
TITLE_CHARS = 255
DETAILS_BYTES = 64000  # "64 KB": 64000 fits whether GitHub means 64000 or 65536 bytes
TRUNCATED = "\n\n…(truncated)"
TRUNCATED_INLINE = " …(truncated)"


@dataclass(frozen=True)
class CheckRunOutput:
    """What to show: `external_id` is the idempotency key (default: a hash of everything shown)."""

    name: str
    title: str
    summary: str
    text: str | None
    conclusion: str
    annotations: tuple[dict, ...]
    actions: tuple[dict, ...] = ()
    external_id: str | None = None


@dataclass(frozen=True)
class CheckRunRef:
    id: int
    html_url: str


def clip(text: str, max_chars: int, max_bytes: int | None = None, note: str = TRUNCATED) -> str:
    """`text` cut to fit both limits, ending with a visible note; never splits a character."""
    max_bytes = max_bytes if max_bytes is not None else max_chars * 4
    if len(text) <= max_chars and len(text.encode()) <= max_bytes:
        return text
    room = text[: max_chars - len(note)].encode()[: max_bytes - len(note.encode())]
    return room.decode(errors="ignore") + note


def _fit_annotation(note: dict) -> dict:
    fitted = dict(note)
    for key in ("message", "raw_details"):
        if isinstance(fitted.get(key), str):
            fitted[key] = clip(fitted[key], DETAILS_BYTES, DETAILS_BYTES)
    if isinstance(fitted.get("title"), str):
        fitted["title"] = clip(fitted["title"], TITLE_CHARS, note=TRUNCATED_INLINE)
    return fitted


def fit(output: CheckRunOutput) -> CheckRunOutput:
    """The same output, with every field GitHub limits cut to its limit."""
    return replace(
        output,
        title=clip(output.title, TITLE_CHARS, note=TRUNCATED_INLINE),
        summary=clip(output.summary, MARKDOWN_BYTES, MARKDOWN_BYTES),
        text=None if output.text is None else clip(output.text, MARKDOWN_BYTES, MARKDOWN_BYTES),
        annotations=tuple(_fit_annotation(a) for a in output.annotations),
    )


def content_key(head_sha: str, output: CheckRunOutput) -> str:
    shown = {"sha": head_sha, "output": [output.name, output.title, output.summary, output.text,
                                         output.conclusion, output.annotations, output.actions]}
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()[:40]


def publish_check_run(client, repo_full_name: str, head_sha: str, output: CheckRunOutput) -> CheckRunRef:
    """Create the run (or finish the one a lost response left behind), then append the other batches.

    Before creating, the latest run of this name on the commit is looked up: if it carries our
    external_id, an earlier attempt already created it and we only finish it. That makes a Celery
    retry after a lost response safe: a blindly retried create would duplicate the run.
    """
    output = fit(output)
    key = output.external_id or content_key(head_sha, output)
    repo = client.repo(repo_full_name)
    notes = list(output.annotations)
    run = _latest_run(client, repo, head_sha, output.name, key)
    if run is None:
        run = _create(client, repo, head_sha, output, key, notes[:BATCH], final=len(notes) <= BATCH)
    elif run.status == "completed":
        return CheckRunRef(run.id, run.html_url)
    sent = run.output.annotations_count
    while sent < len(notes):
        batch = notes[sent: sent + BATCH]
        run = _append(client, repo, run, output, batch, sent, final=sent + len(batch) >= len(notes))
        sent += len(batch)
    if run.status != "completed":
        run = _append(client, repo, run, output, [], sent, final=True)
    return CheckRunRef(run.id, run.html_url)


def _latest_run(client, repo, head_sha: str, name: str, key: str):
    """Our run on this commit if it is the newest of its name and carries this key, else None."""

    def find():
        runs = repo.get_commit(head_sha).get_check_runs(check_name=name, filter="latest")
        return next(iter(runs), None)

    run = client.call(find)
    return run if run is not None and run.external_id == key else None


def _body(output: CheckRunOutput, batch: list[dict], final: bool) -> dict:
    shown = {"title": output.title, "summary": output.summary, "annotations": batch}
    if output.text is not None:
        shown["text"] = output.text
    body = {"output": shown, "status": "in_progress"}
    if final:  # a conclusion completes the run; GitHub sets completed_at itself
        body.update(status="completed", conclusion=output.conclusion)
    return body


def _create(client, repo, head_sha: str, output: CheckRunOutput, key: str, batch: list[dict], final: bool):
    body = _body(output, batch, final)
    if output.actions:
        body["actions"] = list(output.actions)
    for attempt in range(1, client.policy.attempts + 1):
        try:
            return client.call(lambda: repo.create_check_run(name=output.name, head_sha=head_sha,
                                                             external_id=key, **body), idempotent=False)
        except RateLimited:
            raise
        except Unavailable:  # ambiguous: the run may exist now, so look before creating again
            found = _latest_run(client, repo, head_sha, output.name, key)
            if found is not None:
                return found
            if attempt == client.policy.attempts:
                raise
            time.sleep(client.policy.backoff_for(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _append(client, repo, run, output: CheckRunOutput, batch: list[dict], before: int, final: bool):
    """PATCH one batch; annotations append, so after an ambiguous failure count them before resending."""
    body = _body(output, batch, final)
    for attempt in range(1, client.policy.attempts + 1):
        try:
            client.call(lambda: run.edit(**body), idempotent=False)
            return run
        except RateLimited:
            raise
        except Unavailable:
            fresh = client.call(lambda: _reloaded(repo, run.id))
            if fresh.output.annotations_count >= before + len(batch) and (not final or fresh.conclusion):
                return fresh
            if attempt == client.policy.attempts:
                raise
            time.sleep(client.policy.backoff_for(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _reloaded(repo, run_id: int):
    run = repo.get_check_run(run_id)
    run.output  # noqa: B018 - touch an attribute so a lazy object is fetched inside the retry policy
    return run
