"""The tone analyzer, a plain library: the catalog (rules, categories, data types) and the engine (spaCy, VADER).

It imports nothing from Flask, Celery, SQLAlchemy, PyGithub or the rest of Tact. This file imports nothing,
so ``service.analysis.catalog`` can be read by the web process without loading spaCy; callers that analyze
import ``service.analysis.engine``.
"""
