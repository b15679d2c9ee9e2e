"""Passages: the unit that gets embedded, scored and cited as evidence.

Website text is long and mixed (news, events, member lists); one vector per site blurs the one
paragraph about defence projects into everything else. A passage of a few sentences is short
enough to be about one thing and long enough for a reviewer to read as evidence. Paragraph
breaks of the extracted text are sentence boundaries too, so a heading or a list item never
glues onto the next sentence mid-passage; a single sentence longer than ``max_chars`` (tables
flattened to text, run-on lists) is cut at word boundaries.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import spacy
    from spacy.tokens import Doc, Span, Token

__all__ = [
    "PassageText",
    "lemma_string",
    "passage_hash",
    "split_passage_docs",
    "split_passages",
]

_WHITESPACE = re.compile(r"\s+")
MIN_PASSAGE_CHARS = 2
MAX_LINE_CHARS = 100_000


@dataclass(slots=True, frozen=True)
class PassageText:
    """A passage with its lemmas (space-joined, lower-case, no punctuation) and char offsets."""

    text: str
    lemmas: str
    start: int
    end: int


def passage_hash(text: str) -> str:
    """sha256 hex of the whitespace-normalised text: the key of the embedding cache."""
    return hashlib.sha256(_WHITESPACE.sub(" ", text).strip().encode("utf-8")).hexdigest()


def lemma_string(doc: Doc | Span, nlp: spacy.Language | None = None) -> str:
    """Lower-cased lemmas of the word tokens of a doc or span, space-joined.

    With ``nlp``, lemmas are normalised like the lexicon matcher does
    (:func:`clusterradar.pipeline.nlp.lemma_normaliser`).
    """
    if nlp is not None:
        from clusterradar.pipeline.nlp import lemma_normaliser

        lower_lemma = lemma_normaliser(nlp)
    else:

        def lower_lemma(tok: Token) -> str:
            return (tok.lemma_ or tok.text).lower()

    return " ".join(lower_lemma(tok) for tok in doc if not (tok.is_punct or tok.is_space))


def _sentence_spans(text: str, nlp: spacy.Language) -> list[tuple[int, int]]:
    """Char spans of sentences; paragraph (line) breaks always end a sentence."""
    lines: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            # spaCy refuses texts over nlp.max_length; a line that long is no prose anyway
            for start, end in _cut_long(line, 0, len(line), MAX_LINE_CHARS):
                lines.append((offset + start, line[start:end]))
        offset += len(line) + 1
    spans: list[tuple[int, int]] = []
    for (line_start, _), doc in zip(lines, nlp.pipe(line for _, line in lines), strict=True):
        for sent in doc.sents:
            if sent.text.strip():
                spans.append((line_start + sent.start_char, line_start + sent.end_char))
    return spans


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split [start, end) into pieces of at most max_chars, at whitespace where possible."""
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def split_passage_docs(
    text: str, nlp: spacy.Language, sentences: int = 3, max_chars: int = 800
) -> list[tuple[PassageText, Doc]]:
    """Like :func:`split_passages`, also returning each passage's spaCy doc (for matching)."""
    if not text or not text.strip():
        return []
    units: list[tuple[int, int]] = []
    for start, end in _sentence_spans(text, nlp):
        units.extend(_cut_long(text, start, end, max_chars))
    groups: list[tuple[int, int]] = []
    current: list[tuple[int, int]] = []
    for unit in units:
        if current and (len(current) >= max(1, sentences) or unit[1] - current[0][0] > max_chars):
            groups.append((current[0][0], current[-1][1]))
            current = []
        current.append(unit)
    if current:
        groups.append((current[0][0], current[-1][1]))
    spans = [(s, e) for s, e in groups if len(text[s:e].strip()) >= MIN_PASSAGE_CHARS]
    passage_texts = [text[s:e] for s, e in spans]
    return [
        (PassageText(text=passage, lemmas=lemma_string(doc, nlp), start=s, end=e), doc)
        for (s, e), passage, doc in zip(spans, passage_texts, nlp.pipe(passage_texts), strict=True)
    ]


def split_passages(
    text: str, nlp: spacy.Language, sentences: int = 3, max_chars: int = 800
) -> list[PassageText]:
    """Group consecutive sentences into passages of up to ``sentences`` sentences / ``max_chars``.

    Never returns an empty passage; ``text[p.start:p.end] == p.text`` for every passage.
    """
    return [passage for passage, _ in split_passage_docs(text, nlp, sentences, max_chars)]
