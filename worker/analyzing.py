"""Analyze one comment with a repository's settings and turn the result into finding rows."""

from __future__ import annotations

from service.repo_settings import RepoSettings
from worker import analysis


def options_for(settings: RepoSettings, model: str) -> analysis.Options:
    return analysis.Options(sensitivity=settings.sensitivity,
                            disabled_categories=frozenset(settings.disabled_categories()),
                            disabled_rules=frozenset(settings.disabled_rules), model=model)


def finding_rows(text: str, settings: RepoSettings, model: str) -> list[dict]:
    """Finding fields for storage; the excerpt is kept only where the repository allows it."""
    analysis.load(model)
    result = analysis.analyze(text, options_for(settings, model))
    return [
        {"rule": f.rule, "category": f.category, "severity": f.severity, "start": f.start, "end": f.end,
         "score": f.score, "message": f.message, "suggestion": f.suggestion,
         "excerpt": f.text if settings.store_text else None}
        for f in result.findings
    ]
