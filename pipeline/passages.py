"""Passages: the unit that gets embedded, scored and cited as evidence.

Website text is long and mixed (news, events, member lists); one vector per site blurs the one
paragraph about defence projects into everything else. A passage of a few sentences is short
enough to be about one thing and long enough for a reviewer to read as evidence. Paragraph
breaks of the extracted text are sentence boundaries too, so a heading or a list item never
glues onto the next sentence mid-passage; a single sentence longer than ``max_chars`` (tables
flattened to text, run-on lists) is cut at word boundaries.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import spacy
    from spacy.tokens import Doc, Span, Token

__all__ = [
    "LineTokens",
    "PassageSegment",
    "PassageText",
    "lemma_string",
    "passage_hash",
    "split_passages",
    "split_texts",
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


class LineTokens:
    """One doc's tokens as plain lists, read from spaCy once (``Doc.to_array``, no Token objects).

    ``lemmas`` are normalised lower-case lemmas (:func:`clusterradar.pipeline.nlp.lemma_normaliser`)
    of every token, punctuation and spaces included. ``hits`` caches each lexicon matcher's
    token-level hits in this doc (``LexiconMatcher.match_segments``).
    """

    __slots__ = ("doc", "ends", "hits", "idx", "lemmas", "lower", "sent_starts", "space", "words")

    def __init__(self, doc: Doc, lemma_of: Callable[[int, int], str]):
        from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LEMMA, LENGTH, LOWER, ORTH, SENT_START

        self.doc = doc
        rows = doc.to_array([ORTH, LEMMA, LOWER, IS_PUNCT, IS_SPACE, IDX, LENGTH, SENT_START])
        strings = doc.vocab.strings
        space = rows[:, 4] != 0
        self.lemmas = list(map(lemma_of, rows[:, 0].tolist(), rows[:, 1].tolist()))
        self.lower = [strings[key] for key in rows[:, 2].tolist()]
        self.space = space.tolist()
        self.words = ((rows[:, 3] == 0) & ~space).tolist()  # neither punctuation nor space
        self.idx = rows[:, 5].tolist()
        self.ends = (rows[:, 5] + rows[:, 6]).tolist()
        starts = (rows[:, 7] == 1).nonzero()[0].tolist()
        self.sent_starts = starts if not len(doc) or starts[:1] == [0] else [0, *starts]
        self.hits: dict[int, list[tuple[str, int, int]]] = {}


@dataclass(slots=True, frozen=True)
class PassageSegment:
    """The tokens ``start``..``end`` of one line's doc that belong to a passage.

    ``line.idx[i] + shift`` is token i's offset in the passage text.
    """

    line: LineTokens
    start: int
    end: int
    shift: int


@dataclass(slots=True)
class _Line:
    """One non-blank line (or a piece of an over-long one) of a text, and its tokens."""

    start: int  # offset of the line in its text
    text: str
    line_no: int  # lines cut from one over-long line share it
    tokens: LineTokens | None = None


def _lines(text: str) -> list[_Line]:
    """Non-blank lines; paragraph (line) breaks always end a sentence."""
    lines: list[_Line] = []
    offset = 0
    for line_no, line in enumerate(text.split("\n")):
        if line.strip():
            # spaCy refuses texts over nlp.max_length; a line that long is no prose anyway
            for start, end in _cut_long(line, 0, len(line), MAX_LINE_CHARS):
                lines.append(_Line(offset + start, line[start:end], line_no))
        offset += len(line) + 1
    return lines


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


def _passage_groups(
    text: str, lines: list[_Line], sentences: int, max_chars: int
) -> list[tuple[int, int]]:
    """Char spans of a text's passages: consecutive sentences up to ``sentences``/``max_chars``."""
    units: list[tuple[int, int]] = []
    for line in lines:
        tokens = line.tokens
        starts = tokens.sent_starts  # type: ignore[union-attr]
        for first, stop in zip(starts, [*starts[1:], len(tokens.idx)], strict=True):  # type: ignore[union-attr]
            if not all(tokens.space[first:stop]):  # type: ignore[union-attr]
                start = line.start + tokens.idx[first]  # type: ignore[union-attr]
                end = line.start + tokens.ends[stop - 1]  # type: ignore[union-attr]
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
    return [(s, e) for s, e in groups if len(text[s:e].strip()) >= MIN_PASSAGE_CHARS]


def _segments(lines: list[_Line], start: int, end: int) -> list[PassageSegment] | None:
    """The passage [start, end) as token ranges of its lines' docs; None where those would not
    be exactly the tokens spaCy finds in the passage text alone (a cut inside a word, a passage
    across the pieces of one over-long line)."""
    segments: list[PassageSegment] = []
    line_nos = set()
    for line in lines:
        line_end = line.start + len(line.text)
        if line_end <= start or line.start >= end:
            continue
        if line.line_no in line_nos:
            return None
        line_nos.add(line.line_no)
        tokens = line.tokens
        first_char = max(start, line.start) - line.start
        end_char = min(end, line_end) - line.start
        first = bisect.bisect_left(tokens.idx, first_char)  # type: ignore[union-attr]
        stop = bisect.bisect_left(tokens.ends, end_char)  # type: ignore[union-attr]
        if (
            first >= len(tokens.idx)  # type: ignore[union-attr]
            or tokens.idx[first] != first_char  # type: ignore[union-attr]
            or stop >= len(tokens.ends)  # type: ignore[union-attr]
            or tokens.ends[stop] != end_char  # type: ignore[union-attr]
        ):
            return None
        segments.append(PassageSegment(tokens, first, stop + 1, line.start - start))  # type: ignore[arg-type]
    return segments


def split_texts(
    texts: list[str], nlp: spacy.Language, sentences: int = 3, max_chars: int = 800
) -> list[list[tuple[PassageText, list[PassageSegment]]]]:
    """:func:`split_passages` for many texts, with each passage's tokens (for lexicon matching).

    Every line of every text goes through ``nlp.pipe`` once, in one stream; a passage's tokens
    are ranges of its lines' tokens, the same tokens and lemmas spaCy gives the passage text on
    its own (where they could differ, the passage text is run through ``nlp`` itself).
    """
    from clusterradar.pipeline.nlp import lemma_of_ids

    lemma_of = lemma_of_ids(nlp)
    per_text = [_lines(text) if text and text.strip() else [] for text in texts]
    flat = [line for lines in per_text for line in lines]
    for line, doc in zip(flat, nlp.pipe(line.text for line in flat), strict=True):
        line.tokens = LineTokens(doc, lemma_of)
    result: list[list[tuple[PassageText, list[PassageSegment]]]] = []
    for text, lines in zip(texts, per_text, strict=True):
        passages = []
        for start, end in _passage_groups(text, lines, sentences, max_chars) if lines else []:
            segments = _segments(lines, start, end)
            if segments is None:
                alone = LineTokens(nlp(text[start:end]), lemma_of)
                segments = [PassageSegment(alone, 0, len(alone.idx), 0)]
            lemmas = " ".join(
                lemma
                for segment in segments
                for lemma, word in zip(
                    segment.line.lemmas[segment.start : segment.end],
                    segment.line.words[segment.start : segment.end],
                    strict=True,
                )
                if word
            )
            passages.append((PassageText(text[start:end], lemmas, start, end), segments))
        result.append(passages)
    return result


def split_passages(
    text: str, nlp: spacy.Language, sentences: int = 3, max_chars: int = 800
) -> list[PassageText]:
    """Group consecutive sentences into passages of up to ``sentences`` sentences / ``max_chars``.

    Never returns an empty passage; ``text[p.start:p.end] == p.text`` for every passage.
    """
    return [passage for passage, _ in split_texts([text], nlp, sentences, max_chars)[0]]
