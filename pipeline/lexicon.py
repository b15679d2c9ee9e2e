"""The SVI signal lexicon: analyst-maintained terms, matched on lemmas inside spaCy docs.

The terms live in ``labels/data/svi_lexicon.yaml`` (data, not code: analysts add lines there).
Matching is lemma-based so inflection ("der Bundeswehr", "Streitkräften") does not matter, and
compound-aware per term because German glues words together: "Rüstung" with ``compound:
prefix`` also matches "Rüstungsunternehmen" but deliberately not "Ausrüstung". Plain
"Sicherheit" is not in the lexicon at all: "Lebensmittelsicherheit" and "Arbeitssicherheit" are
civil, and the semantic signal is left to the embeddings.

Hit offsets are character offsets into the matched text, so evidence can be highlighted.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from clusterradar.errors import LabelValidationError
from clusterradar.labels.schema import default_svi_lexicon_path, default_technology_lexicon_path
from clusterradar.pipeline.nlp import TokenArrays, lemma_normaliser, lemma_of_ids

if TYPE_CHECKING:
    import spacy
    from spacy.tokens import Doc

    from clusterradar.pipeline.passages import PassageSegment

__all__ = [
    "COMPOUND_MODES",
    "MATCH_MODES",
    "Lexicon",
    "LexiconHit",
    "LexiconMatcher",
    "LexiconTerm",
    "default_lexicon_path",
    "default_technology_lexicon_path",
    "load_lexicon",
    "load_technology_lexicon",
]

MATCH_MODES = ("lemma", "lower", "exact")
COMPOUND_MODES = ("none", "prefix", "suffix", "both", "hyphen")
LANGUAGES = ("de", "en", "any")
_TERM_KEYS = {"term", "category", "weight", "language", "note", "match", "compound", "variants"}
_REQUIRED = ("term", "category", "weight")
_CATEGORY_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(slots=True, frozen=True)
class LexiconTerm:
    """One line of the lexicon. ``variants`` are other spellings reported as ``term``."""

    term: str
    category: str
    weight: float
    language: str = "de"
    note: str = ""
    match: str = "lemma"
    compound: str = "none"
    variants: tuple[str, ...] = ()
    line: int = 0

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.variants)


@dataclass(slots=True)
class Lexicon:
    """All terms plus the category descriptions; ``content_hash`` versions derived data."""

    terms: list[LexiconTerm]
    categories: dict[str, str]
    content_hash: str
    source: str = ""
    _by_term: dict[str, LexiconTerm] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_term = {t.term: t for t in self.terms}

    def term(self, name: str) -> LexiconTerm:
        return self._by_term[name]

    def weight_of(self, name: str) -> float:
        return self._by_term[name].weight


@dataclass(slots=True, frozen=True)
class LexiconHit:
    """One occurrence of a lexicon term; ``start``/``end`` are character offsets in the text."""

    term: str
    category: str
    weight: float
    start: int
    end: int


def default_lexicon_path() -> Path:
    """The packaged SVI lexicon; where it lives is the labels package's business."""
    return default_svi_lexicon_path()


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records each mapping's 1-based line under the key '__line__'."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _validate_term(
    raw: Any, where: str, categories: dict[str, str]
) -> tuple[LexiconTerm | None, list[str]]:
    if not isinstance(raw, dict):
        return None, [f"{where}: each term must be a mapping with term/category/weight"]
    line = raw.get("__line__", 0)
    at = f"{where.rsplit(':', 1)[0]}:{line}"
    problems = []
    unknown = set(raw) - _TERM_KEYS - {"__line__"}
    if unknown:
        problems.append(
            f"{at}: unknown key(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(_TERM_KEYS))})"
        )
    for key in _REQUIRED:
        if key not in raw:
            problems.append(f"{at}: missing '{key}'")
    if problems:
        return None, problems
    term = raw["term"]
    if not isinstance(term, str) or not term.strip():
        problems.append(f"{at}: 'term' must be a non-empty string")
    category = raw["category"]
    if category not in categories:
        problems.append(f"{at}: unknown category {category!r} (known: {', '.join(categories)})")
    weight = raw["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1:
        problems.append(f"{at}: 'weight' must be a number in (0, 1], got {weight!r}")
    language = raw.get("language", "de")
    if language not in LANGUAGES:
        problems.append(f"{at}: 'language' must be one of {', '.join(LANGUAGES)}, got {language!r}")
    match = raw.get("match", "lemma")
    if match not in MATCH_MODES:
        problems.append(f"{at}: 'match' must be one of {', '.join(MATCH_MODES)}, got {match!r}")
    compound = raw.get("compound", "none")
    if compound not in COMPOUND_MODES:
        problems.append(
            f"{at}: 'compound' must be one of {', '.join(COMPOUND_MODES)}, got {compound!r}"
        )
    variants = raw.get("variants", [])
    if not isinstance(variants, list) or not all(
        isinstance(v, str) and v.strip() for v in variants
    ):
        problems.append(f"{at}: 'variants' must be a list of non-empty strings")
    note = raw.get("note", "")
    if not isinstance(note, str):
        problems.append(f"{at}: 'note' must be a string")
    if problems:
        return None, problems
    return (
        LexiconTerm(
            term=term.strip(),
            category=category,
            weight=float(weight),
            language=language,
            note=note,
            match=match,
            compound=compound,
            variants=tuple(v.strip() for v in variants),
            line=line,
        ),
        [],
    )


def parse_lexicon(text: str, source: str = "<lexicon>") -> Lexicon:
    """Validate lexicon YAML text; every problem is reported as 'file:line: message'."""
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise LabelValidationError([f"{source}:{line}: invalid YAML ({exc})"]) from exc
    if not isinstance(data, dict) or "terms" not in data or "categories" not in data:
        raise LabelValidationError(
            [f"{source}:1: expected top-level keys 'categories' and 'terms'"]
        )
    problems: list[str] = []
    raw_categories = data["categories"]
    categories: dict[str, str] = {}
    if not isinstance(raw_categories, dict):
        problems.append(
            f"{source}:{data.get('__line__', 1)}: 'categories' must map key → description"
        )
    else:
        for key, description in raw_categories.items():
            if key == "__line__":
                continue
            if not _CATEGORY_KEY.match(str(key)):
                problems.append(f"{source}:{raw_categories['__line__']}: bad category key {key!r}")
            categories[str(key)] = str(description)
    raw_terms = data["terms"]
    if not isinstance(raw_terms, list) or not raw_terms:
        raise LabelValidationError([*problems, f"{source}:1: 'terms' must be a non-empty list"])
    terms: list[LexiconTerm] = []
    seen: dict[tuple[str, str], int] = {}
    for raw in raw_terms:
        term, found = _validate_term(raw, f"{source}:0", categories)
        problems.extend(found)
        if term is None:
            continue
        for spelling in term.spellings:
            key = (spelling.casefold(), term.match)
            if key in seen:
                problems.append(
                    f"{source}:{term.line}: {spelling!r} is already defined on line {seen[key]}"
                )
            seen[key] = term.line
        terms.append(term)
    if problems:
        raise LabelValidationError(problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Lexicon(terms=terms, categories=categories, content_hash=digest, source=source)


def load_lexicon(path: Path | str | None = None) -> Lexicon:
    """The lexicon file at ``path`` (default: the packaged ``labels/data/svi_lexicon.yaml``)."""
    target = Path(path) if path is not None else default_lexicon_path()
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabelValidationError([f"{target}:0: cannot read lexicon ({exc.strerror})"]) from exc
    return parse_lexicon(text, str(target))


def load_technology_lexicon(path: Path | str | None = None) -> Lexicon:
    """The technology lexicon file at ``path`` (empty or None: the packaged
    ``labels/data/technology_lexicon.yaml``); its ``content_hash`` versions the technology
    terms stored with each passage."""
    return load_lexicon(path or default_technology_lexicon_path())


@functools.lru_cache(maxsize=8)
def _cached_default_lexicon() -> Lexicon:
    return load_lexicon()


class LexiconMatcher:
    """Finds lexicon terms in text or spaCy docs made by the same ``nlp``.

    Three passes: a PhraseMatcher over a doc of lower-cased lemmas (``match: lemma``), a
    PhraseMatcher on LOWER (``match: lower``, company names whose lemmas would be mangled) and
    on ORTH (``match: exact``), and a token scan for compounds.
    """

    def __init__(self, nlp: spacy.Language, lexicon: Lexicon | None = None):
        from spacy.matcher import PhraseMatcher

        self.nlp = nlp
        self.lexicon = lexicon if lexicon is not None else _cached_default_lexicon()
        # lemma phrases -> terms: a dict lookup per token and phrase length instead of a
        # PhraseMatcher over a Doc built from the lemmas (that Doc cost more than matching)
        self._lemma_phrases: dict[tuple[str, ...], list[str]] = {}
        self._lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self._terms: dict[str, LexiconTerm] = {}
        self._lower_lemma = lemma_normaliser(nlp)
        self._prefix: list[tuple[str, LexiconTerm]] = []
        self._suffix: list[tuple[str, LexiconTerm]] = []
        self._joined_prefix: list[tuple[str, LexiconTerm]] = []
        self._joined_suffix: list[tuple[str, LexiconTerm]] = []
        for term in self.lexicon.terms:
            self._terms[term.term] = term
            for spelling in term.spellings:
                self._add(term, spelling)
        self._prefix_keys = tuple(key for key, _ in self._prefix + self._joined_prefix)
        self._suffix_keys = tuple(key for key, _ in self._suffix + self._joined_suffix)
        # lemma phrases by their first lemma: the phrase lengths to try where a token has it
        self._phrase_lengths: dict[str, list[int]] = {}
        for phrase in self._lemma_phrases:
            self._phrase_lengths.setdefault(phrase[0], []).append(len(phrase))
        for lengths in self._phrase_lengths.values():
            lengths.sort()
        self._lemma_of = lemma_of_ids(nlp)
        self._by_token = _Memo(self._token_leads)

    def _lemmas(self, doc: Doc) -> list[str]:
        return [self._lower_lemma(tok) for tok in doc]

    def _add(self, term: LexiconTerm, spelling: str) -> None:

        if term.match == "lemma":
            phrase = tuple(self._lemmas(self.nlp(spelling)))
            if phrase and term.term not in self._lemma_phrases.setdefault(phrase, []):
                self._lemma_phrases[phrase].append(term.term)
        elif term.match == "lower":
            self._lower.add(term.term, [self.nlp.make_doc(spelling)])
        else:
            self._exact.add(term.term, [self.nlp.make_doc(spelling)])
        if term.compound == "none" or len(self.nlp.make_doc(spelling)) != 1:
            return
        key = spelling.lower()
        if term.compound in ("prefix", "both"):
            self._prefix.append((key, term))
        if term.compound in ("suffix", "both"):
            self._suffix.append((key, term))
        if term.compound == "hyphen":
            self._joined_prefix.append((key, term))
            self._joined_suffix.append((key, term))

    def _token_leads(self, key: tuple[int, int]) -> _Leads | None:
        """What one (ORTH, LEMMA) pair can start, memoised per pair (``_by_token``): the
        compound terms inside its lower-case text or its lemma, and the lengths of the lemma
        phrases that begin with its lemma; None for the many tokens that start nothing.

        Compounds: 'Rüstungsindustrie', 'KRITIS-Betreiber'. ``hyphen`` terms only match where
        a non-letter joins them ('NATO-Partner', 'DEFENCE.NRW'), so 'nato' never matches inside
        an unrelated word.
        """
        lemma = self._lemma_of[key]
        compounds: tuple[str, ...] = ()
        if self._prefix_keys or self._suffix_keys:
            lower = self.nlp.vocab[key[0]].lower_
            compounds = tuple(
                dict.fromkeys(self._compound_terms(lower) + self._compound_terms(lemma))
            )
        lengths = self._phrase_lengths.get(lemma, ())
        return _Leads(compounds, lengths) if compounds or lengths else None

    def _compound_terms(self, word: str) -> tuple[str, ...]:
        """The compound terms one lower-case word contains (memoised per word by the caller)."""
        found: list[str] = []
        if self._prefix_keys and word.startswith(self._prefix_keys):
            found += [t.term for k, t in self._prefix if word.startswith(k)]
            found += [
                t.term
                for k, t in self._joined_prefix
                if word.startswith(k) and len(word) > len(k) and not word[len(k)].isalpha()
            ]
        if self._suffix_keys and word.endswith(self._suffix_keys):
            found += [t.term for k, t in self._suffix if word.endswith(k)]
            found += [
                t.term
                for k, t in self._joined_suffix
                if word.endswith(k) and len(word) > len(k) and not word[-len(k) - 1].isalpha()
            ]
        return tuple(found)

    def _token_hits(self, tokens: TokenArrays) -> set[tuple[str, int, int]]:
        """(term, first token, end token) of every hit in a doc, overlaps included."""
        vocab = self.nlp.vocab.strings
        spans: set[tuple[str, int, int]] = set()
        phrases, lemmas = self._lemma_phrases, tokens.lemmas
        leads = list(map(self._by_token.__getitem__, tokens.keys))
        size = len(lemmas)
        for start in [i for i, lead in enumerate(leads) if lead is not None]:
            compounds, lengths = leads[start]  # type: ignore[misc]
            spans.update((term, start, start + 1) for term in compounds)
            for length in lengths:
                if start + length > size:  # a shorter slice could equal a shorter phrase
                    continue
                terms = phrases.get(tuple(lemmas[start : start + length]))
                if terms:
                    spans.update((term, start, start + length) for term in terms)
        for matcher in (self._lower, self._exact):
            if len(matcher):
                spans.update((vocab[mid], s, e) for mid, s, e in matcher(tokens.doc))
        return spans

    def _char_hits(self, tokens: TokenArrays) -> tuple[list[int], list[tuple[int, int, str]]]:
        """A doc's hits as (start char, end char, term), by start, with their start chars;
        computed once per doc and matcher."""
        key = id(self)
        found = tokens.hits.get(key)
        if found is None:
            idx, ends = tokens.idx, tokens.ends
            hits = sorted((idx[s], ends[e - 1], name) for name, s, e in self._token_hits(tokens))
            found = tokens.hits[key] = ([hit[0] for hit in hits], hits)
        return found

    def _hit(self, name: str, start: int, end: int) -> LexiconHit:
        term = self._terms[name]
        return LexiconHit(
            term=name, category=term.category, weight=term.weight, start=start, end=end
        )

    def match(self, text_or_doc: str | Doc) -> list[LexiconHit]:
        """Non-overlapping hits ordered by position (longest match wins where terms overlap)."""
        doc = self.nlp(text_or_doc) if isinstance(text_or_doc, str) else text_or_doc
        _, hits = self._char_hits(TokenArrays(doc, self._lemma_of))
        return _ordered([self._hit(name, start, end) for start, end, name in hits])

    def match_segments(self, segments: Iterable[PassageSegment]) -> list[LexiconHit]:
        """:meth:`match` of a passage given as char ranges of docs (``split_texts``): the same
        hits as matching the passage text's own doc, without running ``nlp`` again. No term
        spans a line break, so each doc is matched once (cached on it, as its passages share
        it) and a passage keeps the hits inside its range."""
        hits: list[LexiconHit] = []
        for segment in segments:
            starts, found = self._char_hits(segment.tokens)
            shift, end = segment.shift, segment.end
            for start, stop, name in found[bisect.bisect_left(starts, segment.start) :]:
                if start >= end:
                    break
                if stop <= end:
                    hits.append(self._hit(name, start + shift, stop + shift))
        return _ordered(hits)


class _Leads(NamedTuple):
    compounds: tuple[str, ...]
    phrase_lengths: list[int] | tuple[()]


class _Memo(dict[Any, Any]):
    """A dict that fills a missing key with ``compute(key)``: lookups over a column in C."""

    def __init__(self, compute: Callable[[Any], Any]):
        super().__init__()
        self._compute = compute

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self._compute(key)
        return value


def _ordered(hits: list[LexiconHit]) -> list[LexiconHit]:
    hits.sort(key=lambda h: (h.start, h.end, h.term))
    return _longest_non_overlapping(hits)


def _longest_non_overlapping(hits: list[LexiconHit]) -> list[LexiconHit]:
    """One hit per stretch of text: the longest span wins, then the heavier, then the longer term.

    "Airbus Defence and Space" counts once as the company, not again as "Defence"; the token
    "Verteidigungsindustrie" counts once, not as both "Verteidigung" and "Verteidigungsindustrie".
    """
    ordered = sorted(hits, key=lambda h: (-(h.end - h.start), -h.weight, -len(h.term), h.start))
    kept: list[LexiconHit] = []
    for hit in ordered:
        if all(hit.end <= k.start or k.end <= hit.start for k in kept):
            kept.append(hit)
    kept.sort(key=lambda h: (h.start, h.end))
    return kept


def lexicon_score(hits: list[LexiconHit]) -> float:
    """Sum of hit weights: what ``passages.lexicon_score`` stores."""
    return float(sum(hit.weight for hit in hits))


def lexicon_terms(hits: list[LexiconHit]) -> list[str]:
    """Distinct terms in order of first occurrence: what ``passages.lexicon_terms`` stores."""
    return list(dict.fromkeys(hit.term for hit in hits))
