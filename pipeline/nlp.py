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
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clusterradar.errors import ModelError
from clusterradar.settings import NlpSettings

if TYPE_CHECKING:
    import spacy
    from spacy.tokens import Doc, Token

__all__ = [
    "LemmaMemo",
    "TokenArrays",
    "describe_nlp",
    "lemma_normaliser",
    "lemma_of_ids",
    "lemmatizer_done_by_memo",
    "load_nlp",
]

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


class LemmaMemo(dict[tuple[int, int], str]):
    """(ORTH, LEMMA) string ids → :func:`lemma_normaliser`'s lemma, computed once per pair.

    ``memo[orth, lemma]`` never misses (``__missing__`` fills it), so a whole column of ids maps
    in C: ``map(memo.__getitem__, zip(orths, lemmas))``. With a lookup lemmatizer, LEMMA 0 (a
    doc made without it, see :func:`lemmatizer_done_by_memo`) is looked up in its table here,
    as the lemmatizer would have done, once per word instead of once per token.
    """

    def __init__(self, nlp: spacy.Language):
        super().__init__()
        self._of_strings = _lemma_of_strings(nlp)
        self._strings = nlp.vocab.strings
        self._table = _lookup_table(nlp)

    def __missing__(self, key: tuple[int, int]) -> str:
        orth, lemma = key
        strings = self._strings
        text = strings[orth]
        if lemma:
            lemma_text = strings[lemma]
        elif self._table is not None:
            # spaCy's Lemmatizer.lookup_lemmatize: the table's entry, else the text itself
            lemma_text = self._table.get(text, text)
        else:
            lemma_text = ""
        found = self[key] = self._of_strings(text, lemma_text)
        return found


def lemmatizer_done_by_memo(nlp: spacy.Language) -> list[str]:
    """Components ``nlp.pipe`` may skip for docs whose lemmas are read through
    :func:`lemma_of_ids`: the lookup lemmatizer, whose table :class:`LemmaMemo` consults once
    per distinct word (it cost an eighth of the passages step, issue 17). Empty for trained
    pipelines, whose lemmatizer depends on the tagger."""
    return ["lemmatizer"] if _lookup_table(nlp) is not None else []


@functools.lru_cache(maxsize=8)
def lemma_of_ids(nlp: spacy.Language) -> LemmaMemo:
    """:func:`lemma_normaliser` on (ORTH, LEMMA) string ids, as ``Doc.to_array`` gives them;
    memoised per pair for the pipeline's lifetime, since a site's vocabulary repeats (no Token
    objects, no table lookups for words seen before)."""
    return LemmaMemo(nlp)


@functools.cache
def _token_attrs() -> list[int]:
    from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LEMMA, LENGTH, ORTH, SENT_START

    return [ORTH, LEMMA, IS_PUNCT, IS_SPACE, IDX, LENGTH, SENT_START]


class TokenArrays:
    """One doc's tokens as plain lists, read from spaCy once (``Doc.to_array``, no Token objects).

    ``lemmas`` are normalised lower-case lemmas (:func:`lemma_normaliser`) of every token,
    punctuation and spaces included; ``keys`` their (ORTH, LEMMA) ids; ``words`` says which tokens
    are neither punctuation nor space; ``idx``/``ends`` are each token's char offsets in the doc;
    ``sent_starts`` the tokens that start a sentence. ``hits`` caches each lexicon matcher's hits
    in this doc (``LexiconMatcher.match_segments``).
    """

    __slots__ = ("doc", "ends", "hits", "idx", "keys", "lemmas", "sent_starts", "space", "words")

    def __init__(self, doc: Doc, lemma_of: LemmaMemo):
        self.doc = doc
        self.hits: dict[int, Any] = {}
        if not len(doc):
            self.keys = self.lemmas = self.space = self.idx = self.ends = self.sent_starts = []
            self.words = []
            return
        orth, lemma, punct, space, idx, length, sent = doc.to_array(_token_attrs()).T.tolist()
        self.keys: list[tuple[int, int]] = list(zip(orth, lemma, strict=True))
        self.lemmas: list[str] = list(map(lemma_of.__getitem__, self.keys))
        self.space: list[int] = space
        self.words: list[bool] = [not (p or s) for p, s in zip(punct, space, strict=True)]
        self.idx: list[int] = idx
        self.ends: list[int] = list(map(operator.add, idx, length))
        self.sent_starts: list[int] = [i for i, s in enumerate(sent) if s == 1]
