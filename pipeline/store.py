"""Passages as the models stage reads them: from the warehouse or from a documents file.

Both paths produce the same :class:`Passage` records through the same splitting and lexicon
logic, so ``predict --documents`` and ``evaluate --documents`` see text exactly as
``classify`` sees crawled pages.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from clusterradar import texts
from clusterradar.pipeline.extract import ExtractedPage, extract_page, remove_site_boilerplate
from clusterradar.pipeline.language import detect_language
from clusterradar.pipeline.lexicon import (
    LexiconHit,
    LexiconMatcher,
    lexicon_score,
    lexicon_terms,
)
from clusterradar.pipeline.passages import PassageText, passage_hash, split_texts
from clusterradar.urls import path_key
from clusterradar.warehouse import passages as passages_store

if TYPE_CHECKING:
    import duckdb
    import spacy

    from clusterradar.pipeline.documents import Document
    from clusterradar.pipeline.embed import Embedder

__all__ = [
    "Passage",
    "ScoredPassage",
    "cluster_passages",
    "earlier_crawl_note",
    "page_kind_from_url",
    "passages_from_documents",
    "score_text",
    "score_texts",
]


@dataclass(slots=True)
class Passage:
    """One passage of one current page of a cluster, with its lexicon signal and vector."""

    passage_hash: str
    cluster_id: str
    url: str | None
    snapshot_id: str | None
    page_kind: str | None
    text: str
    lemmas: str
    lexicon_terms: list[str] = field(default_factory=list)
    lexicon_score: float = 0.0
    language: str | None = None
    embedding: np.ndarray | None = None
    seq: int = 0
    # Technology lexicon hits (models/axes.py): None = not matched (or matched with another
    # technology lexicon than the reader's), the models then match them; [] = no hits.
    technology_terms: list[str] | None = None
    crawl_run_id: str | None = None
    crawled_at: dt.datetime | None = None
    # Set only when the cluster's latest crawl yielded no passages (site down or empty) and
    # these come from an earlier crawl: reviewers must see that the evidence is old.
    earlier_crawl_note: str | None = None


@dataclass(slots=True, frozen=True)
class PassageKey:
    """What tells whether a current passage changed for the models: its text's hash, the page
    kind that weights it, the URL its evidence cites, and the note on an earlier crawl."""

    passage_hash: str
    page_kind: str | None
    url: str | None
    earlier_crawl_note: str | None = None


@dataclass(slots=True, frozen=True)
class ScoredPassage:
    """A passage of a text before it is stored: hash, text, lemmas and lexicon signal."""

    seq: int
    passage_hash: str
    text: str
    lemmas: str
    lexicon_terms: list[str]
    lexicon_score: float
    technology_terms: list[str] | None = None  # None: no technology matcher was given


def score_text(
    text: str,
    nlp: spacy.Language,
    matcher: LexiconMatcher,
    *,
    sentences: int = 3,
    max_chars: int = 800,
    technology: LexiconMatcher | None = None,
) -> list[ScoredPassage]:
    """Split ``text`` into passages and match the lexicon in each (the one shared code path);
    with ``technology``, the technology lexicon too, on the same tokens."""
    return score_texts(
        [text], nlp, matcher, sentences=sentences, max_chars=max_chars, technology=technology
    )[0]


def score_texts(
    texts: list[str],
    nlp: spacy.Language,
    matcher: LexiconMatcher,
    *,
    sentences: int = 3,
    max_chars: int = 800,
    technology: LexiconMatcher | None = None,
) -> list[list[ScoredPassage]]:
    """:func:`score_text` of many texts; each text goes through spaCy once, in one stream.

    Both lexicons are matched on the tokens of that one pass (``match_segments``): the
    technology terms are those ``technology.match(nlp(passage.text))`` finds, without a second
    spaCy pass over the passages (issue 17)."""
    return [
        [
            _scored(
                seq,
                passage,
                matcher.match_segments(segments),
                None if technology is None else technology.match_segments(segments),
            )
            for seq, (passage, segments) in enumerate(passages)
        ]
        for passages in split_texts(texts, nlp, sentences, max_chars)
    ]


def _scored(
    seq: int, passage: PassageText, hits: list[LexiconHit], technology: list[LexiconHit] | None
) -> ScoredPassage:
    return ScoredPassage(
        seq=seq,
        passage_hash=passage_hash(passage.text),
        text=passage.text,
        lemmas=passage.lemmas,
        lexicon_terms=lexicon_terms(hits),
        lexicon_score=lexicon_score(hits),
        technology_terms=None if technology is None else lexicon_terms(technology),
    )


_KIND_WORDS = (
    ("members", ("mitglied", "member", "partner", "netzwerk/")),
    ("news", ("news", "aktuell", "presse", "meldung", "termine", "veranstaltung", "event", "blog")),
    ("projects", ("projekt", "project")),
    ("groups", ("arbeitskreis", "arbeitsgruppe", "fachgruppe", "themengruppe", "working-group")),
    ("topics", ("themen", "topics", "kompetenz", "schwerpunkt", "handlungsfeld", "technologie")),
    (
        "about",
        ("ueber-uns", "uber-uns", "über-uns", "about", "wir", "cluster", "profil", "leitbild"),
    ),
)


def page_kind_from_url(url: str | None) -> str | None:
    """A rough page kind from URL words, for documents files that do not say ('home' for '/')."""
    if not url:
        return None

    path = path_key(url)
    if not path:
        return "home"
    for kind, words in _KIND_WORDS:
        if any(word in path for word in words):
            return kind
    return "other"


_UNREACHABLE_OUTCOMES = frozenset(
    {"dns_error", "timeout", "http_error", "refused_private", "offsite_redirect", "robots_denied"}
)


def earlier_crawl_note(
    crawled_at: dt.datetime | None,
    latest_crawl_at: dt.datetime | None,
    latest_outcome: str | None,
) -> str | None:
    """Why the passages come from an earlier crawl, in words a reviewer reads next to them.

    None when they come from the latest crawl (``latest_crawl_at`` is None). For example
    ``"aus dem Crawl vom 2026-08-01; Website nicht erreichbar seit 2026-11-01 (http_error)"``
    (the words come from the text catalogue, in ``ui.language``).
    """
    if latest_crawl_at is None:
        return None
    since = f"{latest_crawl_at:%Y-%m-%d}"
    outcome = latest_outcome or "ok"
    if outcome in _UNREACHABLE_OUTCOMES:
        state = texts.text("evidence.unreachable_since", since=since, outcome=outcome)
    elif outcome == "no_website":
        state = texts.text("evidence.no_website_since", since=since)
    else:
        state = texts.text("evidence.no_text", since=since, outcome=outcome)
    crawled = (
        f"{crawled_at:%Y-%m-%d}" if crawled_at is not None else texts.text("evidence.earlier_date")
    )
    return texts.text("evidence.earlier_crawl", crawled=crawled, state=state)


def _first_occurrences(
    rows: Iterable[tuple[Any, ...]], cluster_at: int, hash_at: int
) -> Iterator[tuple[Any, ...]]:
    """The rows whose passage (hash) has not occurred earlier in the same cluster, in the
    query's order: the same passage on two pages of one site counts once. The whole passages
    and their keys go through this one rule, so both fingerprint the same passages."""
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row[cluster_at], row[hash_at])
        if key not in seen:
            seen.add(key)
            yield row


def _rows_to_passages(rows: list[tuple[Any, ...]]) -> dict[str, list[Passage]]:
    result: dict[str, list[Passage]] = defaultdict(list)
    for (
        cluster_id,
        snapshot_id,
        url,
        page_kind,
        seq,
        hash_,
        text,
        lemmas,
        terms,
        score,
        technology_terms,
        language,
        vector,
        crawl_run_id,
        crawled_at,
        latest_crawl_at,
        latest_outcome,
    ) in _first_occurrences(rows, cluster_at=0, hash_at=5):
        result[cluster_id].append(
            Passage(
                passage_hash=hash_,
                cluster_id=cluster_id,
                url=url,
                snapshot_id=snapshot_id,
                page_kind=page_kind,
                text=text,
                lemmas=lemmas,
                lexicon_terms=list(terms or []),
                lexicon_score=float(score or 0.0),
                technology_terms=None if technology_terms is None else list(technology_terms),
                language=language,
                embedding=None if vector is None else np.asarray(vector, dtype=np.float32),
                seq=int(seq),
                crawl_run_id=crawl_run_id,
                crawled_at=crawled_at,
                earlier_crawl_note=earlier_crawl_note(crawled_at, latest_crawl_at, latest_outcome),
            )
        )
    return dict(result)


def cluster_passages(
    con: duckdb.DuckDBPyConnection,
    cluster_ids: list[str] | None = None,
    model_id: str | None = None,
    technology_hash: str | None = None,
) -> dict[str, list[Passage]]:
    """Each cluster's current passages, de-duplicated by passage hash within the cluster.

    "Current" means the snapshots of the cluster's latest site crawl run that yielded
    passages: when the latest crawl yielded none (site unreachable, empty, or not processed
    yet), the latest earlier crawl that did stands in, and every passage then carries an
    ``earlier_crawl_note`` ("aus dem Crawl vom 2026-08-01; Website nicht erreichbar seit
    2026-11-01 (http_error)"). An unreachable website must not turn a cluster into one without text.
    Unchanged snapshots contribute the passages of the snapshot they point at, under the new
    URL and snapshot id. With ``model_id``, ``embedding`` holds the cached vector of that model
    (None where not embedded yet). With ``technology_hash`` (the current technology lexicon's
    ``content_hash``), ``technology_terms`` holds the stored technology terms where they were
    matched with that lexicon, else None (matched with another one, or not at all: the
    reader matches them). Clusters without passages are absent from the result.
    """

    return _rows_to_passages(
        passages_store.cluster_passage_rows(con, cluster_ids, model_id, technology_hash)
    )


def cluster_passage_keys(
    con: duckdb.DuckDBPyConnection, cluster_ids: list[str] | None = None
) -> dict[str, list[PassageKey]]:
    """:func:`cluster_passages` without texts, terms or vectors: the same passages (same
    de-duplication, same order) as :class:`PassageKey`. An unchanged quarter needs no more to
    see that nothing changed, at a tenth of the cost (issue 17)."""
    result: dict[str, list[PassageKey]] = defaultdict(list)
    rows = passages_store.cluster_passage_key_rows(con, cluster_ids)
    for (
        cluster_id,
        page_kind,
        hash_,
        url,
        crawled_at,
        latest_crawl_at,
        latest_outcome,
    ) in _first_occurrences(rows, cluster_at=0, hash_at=2):
        note = earlier_crawl_note(crawled_at, latest_crawl_at, latest_outcome)
        result[cluster_id].append(PassageKey(hash_, page_kind, url, note))
    return dict(result)


def _document_pages(documents: list[Document]) -> list[tuple[Document, ExtractedPage | None]]:
    """Extract HTML documents, dropping boilerplate repeated across one cluster's HTML pages."""
    extracted: dict[int, ExtractedPage] = {}
    by_cluster: dict[str, list[int]] = defaultdict(list)
    for index, document in enumerate(documents):
        if document.html is not None:
            extracted[index] = extract_page(document.html, document.url or "", "text/html")
            by_cluster[document.cluster].append(index)
    for indices in by_cluster.values():
        cleaned = remove_site_boilerplate([extracted[i] for i in indices])
        extracted.update(zip(indices, cleaned, strict=True))
    return [(document, extracted.get(index)) for index, document in enumerate(documents)]


def passages_from_documents(
    documents: list[Document],
    nlp: spacy.Language,
    matcher: LexiconMatcher,
    *,
    embedder: Embedder | None = None,
    sentences: int = 3,
    max_chars: int = 800,
    technology: LexiconMatcher | None = None,
) -> dict[str, list[Passage]]:
    """Passages per ``document.cluster`` key (as written in the file, not yet resolved).

    Same splitting, lexicon and de-duplication as :func:`cluster_passages`; ``snapshot_id`` is
    None. With ``embedder``, every passage carries its vector (computed in memory, not cached);
    with ``technology``, its technology lexicon terms (matched on the same tokens).
    """
    result: dict[str, list[Passage]] = defaultdict(list)
    seen: dict[str, set[str]] = defaultdict(set)
    for document, page in _document_pages(documents):
        if page is not None:
            text, language = page.text, page.language
        else:
            text, language = document.text or "", detect_language(document.text or "")
        kind = document.page_kind or page_kind_from_url(document.url)
        for scored in score_text(
            text, nlp, matcher, sentences=sentences, max_chars=max_chars, technology=technology
        ):
            if scored.passage_hash in seen[document.cluster]:
                continue
            seen[document.cluster].add(scored.passage_hash)
            result[document.cluster].append(
                Passage(
                    passage_hash=scored.passage_hash,
                    cluster_id=document.cluster,
                    url=document.url,
                    snapshot_id=None,
                    page_kind=kind,
                    text=scored.text,
                    lemmas=scored.lemmas,
                    lexicon_terms=scored.lexicon_terms,
                    lexicon_score=scored.lexicon_score,
                    technology_terms=scored.technology_terms,
                    language=language,
                    seq=scored.seq,
                )
            )
    if embedder is not None:
        flat = [p for passages in result.values() for p in passages]
        vectors = embedder.encode([p.text for p in flat]) if flat else None
        for i, passage in enumerate(flat):
            passage.embedding = vectors[i]  # type: ignore[index]
    return dict(result)
