"""GitHub's rules as pure functions: JWT checks, Checks API validation, rate-limit and error bodies.

Each rule returns the status and JSON body GitHub answers with, so the fake rejects exactly what
GitHub rejects. Sources are the REST docs and OpenAPI description; where GitHub's wording is only
known from the wild, the issue thread that shows it is named next to it.
"""

from __future__ import annotations

import jwt

DOCS = "https://docs.github.com/rest"
CHECKS_DOCS = "https://docs.github.com/rest/checks/runs"

MAX_ANNOTATIONS = 50  # OpenAPI: output.annotations maxItems 50
MAX_MARKDOWN = 65535  # output.summary / output.text maxLength, also enforced as bytes (github/docs#35252)
MAX_DETAILS_BYTES = 64 * 1024  # annotation message / raw_details: "The maximum size is 64 KB."
MAX_ANNOTATION_TITLE = 255
MAX_ACTIONS = 3
ACTION_LIMITS = {"label": 20, "description": 40, "identifier": 20}
STATUSES = ("queued", "in_progress", "completed")  # waiting/requested/pending are GitHub Actions only
CONCLUSIONS = ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out")
LEVELS = ("notice", "warning", "failure")
ANNOTATION_REQUIRED = ("path", "start_line", "end_line", "annotation_level", "message")

PRIMARY_MESSAGE = "API rate limit exceeded for installation ID {id}."
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
NOT_ACCESSIBLE = "Resource not accessible by integration"  # JuliaRegistries/TagBot#298
CONTENT_PER_MINUTE = 80  # secondary limit on content-creating requests (Docs "Rate limits for the REST API")
# Docs "API Versions": the versions GitHub publishes; any other value is refused with 400.
API_VERSIONS = ("2022-11-28", "2026-03-10")


def error(status: int, message: str, docs: str = DOCS, **extra) -> tuple[int, dict]:
    """GitHub's error body: message, documentation_url and the status as a string."""
    return status, {"message": message, "documentation_url": docs, "status": str(status), **extra}


def bad_credentials() -> tuple[int, dict]:
    return error(401, "Bad credentials")


def not_found() -> tuple[int, dict]:
    return error(404, "Not Found")


def jwt_problem(token: str, public_key, app_ids: set[str], now: float) -> str | None:
    """Why GitHub would refuse this app JWT (401), or None; messages from probot#942, auth-app.js#698."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(
            token, public_key, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False}
        )
    except jwt.PyJWTError:
        return "A JSON web token could not be decoded"
    if header.get("alg") != "RS256":
        return "A JSON web token could not be decoded"
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(exp, int) or exp <= now:
        return (
            "'Expiration time' claim ('exp') must be a numeric value representing the future time"
            " at which the assertion expires"
        )
    if not isinstance(iat, int) or iat > now + 60:
        return ("'Issued at' claim ('iat') must be an Integer representing the time that the assertion"
                " was issued")
    if exp - iat > 600:  # "no more than 10 minutes into the future" (Docs: Generating a JWT)
        return "'Expiration time' claim ('exp') is too far in the future"
    if str(claims.get("iss")) not in app_ids:
        return "Integration not found"
    return None


def _invalid(message: str, docs: str) -> tuple[int, dict]:
    return error(422, f"Invalid request.\n\n{message}", docs)


def _validation_failed(field: str, docs: str, code: str = "invalid", message: str | None = None):
    item = {"resource": "CheckRun", "code": code, "field": field}
    if message:
        item["message"] = message
    return error(422, "Validation Failed", docs, errors=[item])


def _missing(names: list[str]) -> str:
    quoted = ", ".join(f'"{n}"' for n in names)
    return f"{quoted} wasn't supplied." if len(names) == 1 else f"{quoted} weren't supplied."


def _not_member(field: str, value, allowed) -> str:
    options = ", ".join(f'"{a}"' for a in allowed)
    return f"For 'properties/{field}', \"{value}\" is not a member of [{options}]."


def check_run_problem(body: dict, creating: bool) -> tuple[int, dict] | None:
    """The 422 GitHub gives for this create/update body, or None when GitHub would accept it."""
    docs = f"{CHECKS_DOCS}#{'create' if creating else 'update'}-a-check-run"
    if creating:
        missing = [k for k in ("name", "head_sha") if not body.get(k)]
        if missing:
            return _invalid(_missing(missing), docs)
    for field, allowed in (("status", STATUSES), ("conclusion", CONCLUSIONS)):
        if field in body and body[field] not in allowed:
            return _invalid(_not_member(field, body[field], allowed), docs)
    if (body.get("status") == "completed" or body.get("completed_at")) and not body.get("conclusion"):
        # Wording seen in argoproj/notifications-engine#399.
        return _validation_failed("conclusion", docs, code="missing_field")
    problem = _output_problem(body.get("output"), creating, docs)
    return problem or _actions_problem(body.get("actions"), docs)


def _too_long(text: str, limit: int) -> bool:
    return len(text) > limit or len(text.encode()) > limit


def _output_problem(output, creating: bool, docs: str):
    if output is None:
        return None
    required = ("title", "summary") if creating else ("summary",)
    missing = [k for k in required if k not in output]
    if missing:
        return _invalid(_missing(missing), docs)
    for field in ("summary", "text"):
        value = output.get(field) or ""
        if len(value) > MAX_MARKDOWN:  # ataylorme/eslint-annotate-action#70
            return _invalid(f"Only {MAX_MARKDOWN} characters are allowed; {len(value)} were supplied.", docs)
        if len(value.encode()) > MAX_MARKDOWN:  # github/docs#35252: the limit is really in bytes
            return _validation_failed(
                field, docs, code="custom", message=f"{field} exceeds a maximum bytesize of {MAX_MARKDOWN}"
            )
    annotations = output.get("annotations") or []
    if len(annotations) > MAX_ANNOTATIONS:  # qiniu/reviewbot#258
        return _invalid(
            f"No more than {MAX_ANNOTATIONS} items are allowed; {len(annotations)} were supplied.", docs
        )
    return _annotations_problem(annotations, docs)


def _annotations_problem(annotations: list[dict], docs: str):
    lines = []
    for note in annotations:
        missing = [k for k in ANNOTATION_REQUIRED if note.get(k) in (None, "")]
        if missing:
            lines.append(_missing(missing))
    if lines:  # one line per bad annotation, as in humanmade/linter-bot#71
        return _invalid("\n".join(lines), docs)
    for note in annotations:
        if note["annotation_level"] not in LEVELS:
            return _invalid(_not_member("annotation_level", note["annotation_level"], LEVELS), docs)
        if not _annotation_fits(note):
            return _validation_failed("annotations", docs)  # octokit/octokit.js#1170
    return None


def _annotation_fits(note: dict) -> bool:
    start, end = note["start_line"], note["end_line"]
    if not isinstance(start, int) or not isinstance(end, int) or start < 1 or end < start:
        return False
    columns = [note.get("start_column"), note.get("end_column")]
    if any(c is not None for c in columns):
        if start != end or any(c is not None and (not isinstance(c, int) or c < 1) for c in columns):
            return False
        if None not in columns and columns[0] > columns[1]:
            return False
    if len(note.get("title") or "") > MAX_ANNOTATION_TITLE:
        return False
    return all(len((note.get(k) or "").encode()) <= MAX_DETAILS_BYTES for k in ("message", "raw_details"))


def _actions_problem(actions, docs: str):
    if actions is None:
        return None
    if len(actions) > MAX_ACTIONS:
        return _invalid(f"No more than {MAX_ACTIONS} items are allowed; {len(actions)} were supplied.", docs)
    for action in actions:
        missing = [k for k in ACTION_LIMITS if not action.get(k)]
        if missing:
            return _invalid(_missing(missing), docs)
        for key, limit in ACTION_LIMITS.items():
            if len(action[key]) > limit:
                return _validation_failed("actions", docs)
    return None


def rate_limit_headers(limit: int, remaining: int, reset: int, resource: str = "core") -> dict[str, str]:
    """The five x-ratelimit-* headers on every API answer (Docs: Rate limits for the REST API)."""
    return {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": str(max(remaining, 0)),
        "x-ratelimit-used": str(limit - max(remaining, 0)),
        "x-ratelimit-reset": str(reset),
        "x-ratelimit-resource": resource,
    }


def primary_limit(installation_id) -> tuple[int, dict]:
    return error(403, PRIMARY_MESSAGE.format(id=installation_id),
                 "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api")


def failure_body(status: int, message: str | None) -> tuple[int, dict]:
    """Body for an injected failure: rate-limit wording for 403/429, GitHub's 5xx text otherwise."""
    if message is None:
        message = SECONDARY_MESSAGE if status in (403, 429) else "Server Error"
    return error(status, message)


def unsupported_version(version: str) -> tuple[int, dict]:
    """Docs "API Versions": "If you specify an API version that is no longer supported, you will receive a 400"."""
    return error(400, f"Unsupported 'X-GitHub-Api-Version' header value {version!r}.",
                 "https://docs.github.com/rest/about-the-rest-api/api-versions")
