"""Load the spaCy pipeline and the VADER analyzer once per process; the only caller of spacy.load."""

from __future__ import annotations

import functools

import spacy
from spacy.language import Language
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from .catalog import DEFAULT_MODEL

# Rules read lemmas, tags and dependencies, never named entities, and NER costs ~15% of the parse.
EXCLUDED = ("ner",)


@functools.cache
def pipeline(model_name: str = DEFAULT_MODEL) -> Language:
    """The loaded pipeline for this model, shared by every analysis in the process."""
    return spacy.load(model_name, exclude=list(EXCLUDED))


@functools.cache
def sentiment() -> SentimentIntensityAnalyzer:
    """VADER loads its lexicon from disk; one instance serves the whole process."""
    return SentimentIntensityAnalyzer()
