"""The German spaCy pipeline: a trained one when installed, else a blank one that works offline.

Everything downstream needs only sentence boundaries and lemmas. A trained pipeline
(``de_core_news_sm`` and bigger) gives better lemmas, but it is a separate download; the fallback
``spacy.blank("de")`` + ``sentencizer`` + lookup ``lemmatizer`` uses the tables of
spacy-lookups-data, a normal PyPI dependency, so tests, CI and the demo run without a network.
Pipelines are cached per process because loading one costs about a second.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clusterradar.errors import ModelError
from clusterradar.settings import NlpSettings

if TYPE_CHECKING:
    import spacy
    from spacy.tokens import Token

__all__ = ["describe_nlp", "lemma_normaliser", "lemma_of_ids", "load_nlp"]

log = logging.getLogger(__name__)

BLANK_PIPELINE_NAME = "blank-de+sentencizer+lookup-lemmatizer"


@functools.lru_cache(maxsize=4)
def load_nlp(model_name: str = NlpSettings().spacy_model) -> spacy.Language:
    """The pipeline named ``model_name`` if it is an installed package, else the blank fallback.

    Only the components we need run: a trained pipeline's parser, NER and tagger are disabled
    where possible, and a ``sentencizer`` is added when the pipeline has no sentence splitter.
    """
    import spacy

    if model_name and spacy.util.is_package(model_name):
        try:
            nlp = spacy.load(model_name, exclude=["ner", "parser"])
        except Exception as exc:  # a broken install is a user-fixable problem
            raise ModelError(
                f"spaCy pipeline {model_name!r} is installed but fails to load: {exc}"
            ) from exc
        if not nlp.has_pipe("senter") or "senter" in nlp.disabled:
            if nlp.has_pipe("senter"):
                nlp.enable_pipe("senter")
            else:
                nlp.add_pipe("sentencizer", first=True)
        log.info("spaCy: using trained pipeline %s", model_name)
        nlp.meta["clusterradar_pipeline"] = model_name
        return nlp

    nlp = spacy.blank("de")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    try:
        nlp.initialize()
    except Exception as exc:  # spacy-lookups-data missing
        raise ModelError(
            "spaCy lookup tables for German not found offline; install package "
            f"spacy-lookups-data or the trained pipeline {model_name!r} ({exc})"
        ) from exc
    log.info("spaCy: %s not installed, using %s", model_name, BLANK_PIPELINE_NAME)
    nlp.meta["clusterradar_pipeline"] = BLANK_PIPELINE_NAME
    return nlp


def describe_nlp(nlp: spacy.Language) -> str:
    """Which pipeline this is, for logs and model metadata."""
    return str(nlp.meta.get("clusterradar_pipeline", nlp.meta.get("name", "unknown")))


def _lookup_table(nlp: spacy.Language) -> Any:
    """The lookup lemmatizer's table, or None for a trained (rule/edit-tree) lemmatizer."""
    if not nlp.has_pipe("lemmatizer"):
        return None
    lemmatizer = nlp.get_pipe("lemmatizer")
    if getattr(lemmatizer, "mode", None) != "lookup":
        return None
    try:
        return lemmatizer.lookups.get_table("lemma_lookup")
    except (KeyError, AttributeError):
        return None


@functools.lru_cache(maxsize=8)
def lemma_normaliser(nlp: spacy.Language) -> Callable[[Token], str]:
    """A function token → lower-case lemma that is robust to German capitalisation.

    The lookup table is case-sensitive: "Maritime" (sentence start, title case) is listed but
    "maritime" is not, "kritische" is listed but "Kritische" is not. Where the lookup left a
    word unchanged we retry with the other capitalisation, so headings and sentence starts
    lemmatise like running text. Trained pipelines are used as they are.
    """
    of_strings = _lemma_of_strings(nlp)

    def lower_lemma(token: Token) -> str:
        return of_strings(token.text, token.lemma_)

    return lower_lemma


def _lemma_of_strings(nlp: spacy.Language) -> Callable[[str, str], str]:
    table = _lookup_table(nlp)

    def lower_lemma(text: str, lemma: str) -> str:
        lemma = lemma or text
        if table is not None and lemma == text and text[:1].isalpha():
            other = (
                text[:1].lower() + text[1:] if text[:1].isupper() else text[:1].upper() + text[1:]
            )
            lemma = table.get(other, lemma)
        return lemma.lower()

    return lower_lemma


@functools.lru_cache(maxsize=8)
def lemma_of_ids(nlp: spacy.Language) -> Callable[[int, int], str]:
    """:func:`lemma_normaliser` on (ORTH, LEMMA) string ids, as ``Doc.to_array`` gives them;
    memoised per pair, since a site's vocabulary repeats (no Token objects, no table lookups
    for words seen before)."""
    of_strings = _lemma_of_strings(nlp)
    strings = nlp.vocab.strings
    seen: dict[tuple[int, int], str] = {}

    def lower_lemma(orth: int, lemma: int) -> str:
        key = (orth, lemma)
        found = seen.get(key)
        if found is None:
            found = seen[key] = of_strings(strings[orth], strings[lemma] if lemma else "")
        return found

    return lower_lemma
