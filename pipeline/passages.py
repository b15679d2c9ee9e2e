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
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, compress, pairwise
from typing import TYPE_CHECKING

from clusterradar.pipeline.nlp import (
    TokenArrays,
    lemma_normaliser,
    lemma_of_ids,
    lemmatizer_done_by_memo,
)

if TYPE_CHECKING:
    import spacy
    from spacy.tokens import Doc, Span, Token

__all__ = [
    "PassageSegment",
    "PassageText",
    "lemma_string",
    "passage_hash",
    "split_passages",
    "split_texts",
]

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
    """sha256 hex of the whitespace-normalised text: the key of the embedding cache.

    ``" ".join(text.split())`` is ``re.sub(r"\\s+", " ", text).strip()`` (both split on
    ``str.isspace``), four times faster."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def lemma_string(doc: Doc | Span, nlp: spacy.Language | None = None) -> str:
    """Lower-cased lemmas of the word tokens of a doc or span, space-joined.

    With ``nlp``, lemmas are normalised like the lexicon matcher does
    (:func:`clusterradar.pipeline.nlp.lemma_normaliser`).
    """
    if nlp is not None:
        lower_lemma = lemma_normaliser(nlp)
    else:

        def lower_lemma(tok: Token) -> str:
            return (tok.lemma_ or tok.text).lower()

    return " ".join(lower_lemma(tok) for tok in doc if not (tok.is_punct or tok.is_space))


@dataclass(slots=True, frozen=True)
class PassageSegment:
    """The chars ``start``..``end`` of one doc (``tokens``) that belong to a passage; the
    passage's tokens in that doc are exactly the tokens inside this range.

    ``tokens.idx[i] + shift`` is token i's offset in the passage text.
    """

    tokens: TokenArrays
    start: int
    end: int
    shift: int


@dataclass(slots=True)
class _Line:
    """One non-blank line (or a piece of an over-long one) of a text."""

    start: int  # offset of the line in its text
    end: int
    line_no: int  # lines cut from one over-long line share it
    chunk: _Chunk | None = None


@dataclass(slots=True)
class _Chunk:
    """Consecutive whole lines of a text (usually all of it) that go through spaCy as one doc."""

    start: int  # offset in the text
    end: int
    lines: list[_Line]
    cut: bool  # a piece of an over-long line, alone in its doc
    tokens: TokenArrays | None = None


def _lines(text: str) -> list[_Line]:
    """Non-blank lines; paragraph (line) breaks always end a sentence."""
    lines: list[_Line] = []
    offset = 0
    for line_no, line in enumerate(text.split("\n")):
        if len(line) <= MAX_LINE_CHARS:
            if line and not line.isspace():
                lines.append(_Line(offset, offset + len(line), line_no))
        elif line.strip():
            # spaCy refuses texts over nlp.max_length; a line that long is no prose anyway
            for start, end in _cut_long(line, 0, len(line), MAX_LINE_CHARS):
                lines.append(_Line(offset + start, offset + end, line_no))
        offset += len(line) + 1
    return lines


def _chunks(lines: list[_Line]) -> list[_Chunk]:
    """Lines grouped into docs of up to ``MAX_LINE_CHARS``; a piece of an over-long line is a
    doc of its own (no line break separates it from its neighbours)."""
    if lines and lines[-1].end - lines[0].start <= MAX_LINE_CHARS:
        # the usual text: no line was cut (all fit), one doc
        chunk = _Chunk(lines[0].start, lines[-1].end, lines, cut=False)
        for line in lines:
            line.chunk = chunk
        return [chunk]
    chunks: list[_Chunk] = []
    for i, line in enumerate(lines):
        cut = (i > 0 and lines[i - 1].line_no == line.line_no) or (
            i + 1 < len(lines) and lines[i + 1].line_no == line.line_no
        )
        last = chunks[-1] if chunks else None
        if last is None or cut or last.cut or line.end - last.start > MAX_LINE_CHARS:
            last = _Chunk(line.start, line.end, [], cut)
            chunks.append(last)
        last.lines.append(line)
        last.end = line.end
        line.chunk = last
    return chunks


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


def _sentence_units(text: str, chunks: list[_Chunk], max_chars: int) -> list[tuple[int, int]]:
    """Char spans of a text's sentences (cut to ``max_chars``), each line read as its own doc.

    A chunk's doc holds several lines; a line's tokens are the doc's tokens inside it, with the
    whitespace token across a line break clipped to the line, which are the tokens spaCy finds
    in the line alone. Its sentences start at its first token and where the sentencizer starts
    one inside it: the whitespace token at the break resets the sentencizer as a new doc would.
    """
    units: list[tuple[int, int]] = []
    for chunk in chunks:
        tokens = chunk.tokens
        idx, ends, space, starts = tokens.idx, tokens.ends, tokens.space, tokens.sent_starts  # type: ignore[union-attr]
        for line in chunk.lines:
            first_char = line.start - chunk.start
            end_char = line.end - chunk.start
            first = bisect.bisect_right(ends, first_char)
            stop = bisect.bisect_left(idx, end_char, first)
            inner = starts[bisect.bisect_right(starts, first) : bisect.bisect_left(starts, stop)]
            bounds = [first, *inner, stop]
            for a, b in pairwise(bounds):
                if not all(space[a:b]):
                    start = chunk.start + max(idx[a], first_char)
                    end = chunk.start + min(ends[b - 1], end_char)
                    if end - start <= max_chars:
                        units.append((start, end))
                    else:
                        units.extend(_cut_long(text, start, end, max_chars))
    return units


def _passage_groups(
    units: list[tuple[int, int]], text: str, sentences: int, max_chars: int
) -> list[tuple[int, int]]:
    """Char spans of a text's passages: consecutive sentences up to ``sentences``/``max_chars``."""
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


def _segments(
    lines: list[_Line], line_starts: list[int], start: int, end: int
) -> list[PassageSegment] | None:
    """The passage [start, end) as char ranges of its chunks' docs; None where its tokens there
    would not be exactly the tokens spaCy finds in the passage text alone (a cut inside a word,
    a passage across the pieces of one over-long line)."""
    segments: list[PassageSegment] = []
    line_nos = set()
    for line in lines[max(0, bisect.bisect_right(line_starts, start) - 1) :]:
        if line.start >= end:
            break
        if line.end <= start:
            continue
        if line.line_no in line_nos:
            return None
        line_nos.add(line.line_no)
        chunk = line.chunk
        tokens = chunk.tokens  # type: ignore[union-attr]
        first_char = max(start, line.start)
        end_char = min(end, line.end)
        if first_char > line.start:
            at = first_char - chunk.start  # type: ignore[union-attr]
            i = bisect.bisect_left(tokens.idx, at)  # type: ignore[union-attr]
            if i == len(tokens.idx) or tokens.idx[i] != at:  # type: ignore[union-attr]
                return None
        if end_char < line.end:
            at = end_char - chunk.start  # type: ignore[union-attr]
            i = bisect.bisect_left(tokens.ends, at)  # type: ignore[union-attr]
            if i == len(tokens.ends) or tokens.ends[i] != at:  # type: ignore[union-attr]
                return None
        if segments and segments[-1].tokens is tokens:
            last = segments[-1]
            segments[-1] = PassageSegment(tokens, last.start, end_char - chunk.start, last.shift)  # type: ignore[union-attr, arg-type]
        else:
            segments.append(
                PassageSegment(
                    tokens,  # type: ignore[arg-type]
                    first_char - chunk.start,  # type: ignore[union-attr]
                    end_char - chunk.start,  # type: ignore[union-attr]
                    chunk.start - start,  # type: ignore[union-attr]
                )
            )
    return segments


def _segment_words(segment: PassageSegment) -> Iterator[str]:
    """The lemmas of the word tokens inside a segment."""
    tokens = segment.tokens
    a = bisect.bisect_left(tokens.idx, segment.start)
    b = bisect.bisect_right(tokens.ends, segment.end, a)
    return compress(tokens.lemmas[a:b], tokens.words[a:b])


def split_texts(
    texts: list[str], nlp: spacy.Language, sentences: int = 3, max_chars: int = 800
) -> list[list[tuple[PassageText, list[PassageSegment]]]]:
    """:func:`split_passages` for many texts, with each passage's tokens (for lexicon matching).

    Each text goes through ``nlp.pipe`` once, as one doc (a text over ``MAX_LINE_CHARS`` as
    several docs of whole lines), in one stream; a passage's tokens are the tokens of its char
    range in those docs, the same tokens and lemmas spaCy gives the passage text on its own
    (where they could differ, the passage text is run through ``nlp`` itself).
    """
    lemma_of = lemma_of_ids(nlp)
    per_text = [_lines(text) if text and text.strip() else [] for text in texts]
    per_text_chunks = [_chunks(lines) for lines in per_text]
    flat = [
        (text, chunk)
        for text, chunks in zip(texts, per_text_chunks, strict=True)
        for chunk in chunks
    ]
    docs = nlp.pipe(
        (text[chunk.start : chunk.end] for text, chunk in flat),
        disable=lemmatizer_done_by_memo(nlp),
    )
    for (_, chunk), doc in zip(flat, docs, strict=True):
        chunk.tokens = TokenArrays(doc, lemma_of)
    result: list[list[tuple[PassageText, list[PassageSegment]]]] = []
    for text, lines, chunks in zip(texts, per_text, per_text_chunks, strict=True):
        passages = []
        if lines:
            line_starts = [line.start for line in lines]
            units = _sentence_units(text, chunks, max_chars)
            for start, end in _passage_groups(units, text, sentences, max_chars):
                segments = _segments(lines, line_starts, start, end)
                if segments is None:
                    alone = TokenArrays(nlp(text[start:end]), lemma_of)
                    segments = [PassageSegment(alone, 0, end - start, 0)]
                lemmas = " ".join(chain.from_iterable(map(_segment_words, segments)))
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
