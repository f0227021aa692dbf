"""The tone analyzer: analyze(text, options) and analyze_many(texts, options) over spaCy, VADER, YAML rules.

This package imports nothing from Flask, Celery, SQLAlchemy, PyGithub or the rest of Tact, so the CLI, the
benchmarks and the worker can all use it as a plain library.
"""

from .engine import MAX_CHARS, analyze, analyze_many, catalog, load
from .model import CATEGORIES, SENSITIVITIES, Analysis, Finding, Options
from .rephrase import is_general_advice

__all__ = [
    "CATEGORIES",
    "MAX_CHARS",
    "SENSITIVITIES",
    "Analysis",
    "Finding",
    "Options",
    "analyze",
    "analyze_many",
    "catalog",
    "is_general_advice",
    "load",
]
