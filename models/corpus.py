"""The text a model sees of each cluster: passages from the warehouse, documents files and the
paper's table row, all cut, lexicon-matched and embedded by the pipeline's own functions.

Training and prediction must see text the same way, so the table text (name + Teilbereiche)
goes through exactly the passage logic a crawled page goes through, as one more document of
page kind ``table``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from clusterradar.models.axes import WeightedTerm, weighted_terms
from clusterradar.pipeline.documents import Document
from clusterradar.pipeline.embed import embed_cached, get_embedder
from clusterradar.pipeline.lexicon import (
    LexiconMatcher,
    lexicon_terms,
    load_lexicon,
    load_technology_lexicon,
)
from clusterradar.pipeline.nlp import load_nlp
from clusterradar.pipeline.store import passages_from_documents
from clusterradar.settings import Settings

TABLE_PAGE_KIND = "table"
_URL = re.compile(r"https?://\S+|www\.\S+")


GO_CLUSTER_SENTENCE = "Mitglied im Programm go-cluster des Bundeswirtschaftsministeriums"


def table_text(name: str, teilbereiche: str | None, go_cluster: bool = False) -> str:
    """The paper's row as text: name, go-cluster membership, Teilbereiche; URLs removed.

    go-cluster membership is in the paper's row and in the registry (Fördermaßnahmen), so it
    is text the production model has for every registry cluster too.
    """
    parts = [name.strip()]
    if go_cluster:
        parts.append(GO_CLUSTER_SENTENCE)
    if teilbereiche and teilbereiche.strip():
        parts.append(_URL.sub("", teilbereiche).strip())
    return ". ".join(p.rstrip(".") for p in parts if p) + "."


@dataclass(slots=True)
class TextKit:
    """The pipeline pieces the models need, loaded once per process."""

    nlp: Any
    matcher: Any
    embedder: Any
    term_categories: dict[str, str]
    sentences: int
    technology_matcher: Any = None  # LexiconMatcher over the technology lexicon (models/axes.py)
    svi_terms: dict[str, WeightedTerm] = field(default_factory=dict)
    technology_terms: dict[str, WeightedTerm] = field(default_factory=dict)
    # passage hash → technology lexicon hits: a passage's text never changes under its hash
    technology_hits: dict[str, list[str]] = field(default_factory=dict, repr=False)


_KITS: dict[tuple, TextKit] = {}


def load_text_kit(settings: Settings) -> TextKit:
    """spaCy pipeline, lexicon matcher and embedder named by the settings (cached per process)."""
    key = (
        settings.nlp.spacy_model,
        settings.nlp.embedding_model,
        settings.nlp.passage_sentences,
        settings.nlp.lexicon_path,
        settings.nlp.technology_lexicon_path,
    )
    if key not in _KITS:
        nlp = load_nlp(settings.nlp.spacy_model)
        lexicon = load_lexicon(settings.nlp.lexicon_path or None)
        technology = load_technology_lexicon(settings.nlp.technology_lexicon_path)
        _KITS[key] = TextKit(
            nlp=nlp,
            matcher=LexiconMatcher(nlp, lexicon),
            embedder=get_embedder(settings.nlp.embedding_model),
            term_categories={t.term.lower(): t.category for t in lexicon.terms},
            sentences=settings.nlp.passage_sentences,
            technology_matcher=LexiconMatcher(nlp, technology),
            svi_terms=weighted_terms(lexicon),
            technology_terms=weighted_terms(technology),
        )
    return _KITS[key]


def table_document(cluster_id: str, name: str, teilbereiche: str | None, go_cluster: bool = False):
    """The table row as a pipeline Document (page kind 'table', no URL)."""

    return Document(
        cluster=cluster_id,
        url=None,
        text=table_text(name, teilbereiche, go_cluster),
        html=None,
        line=0,
        source="paper table",
        page_kind=TABLE_PAGE_KIND,
    )


def passages_of_documents(kit: TextKit, documents: Iterable) -> dict[str, list]:
    """Passages per `document.cluster` key, via the pipeline's documents logic (both lexicons
    matched on the tokens of its one spaCy pass)."""

    return passages_from_documents(
        list(documents),
        kit.nlp,
        kit.matcher,
        sentences=kit.sentences,
        technology=kit.technology_matcher,
    )


def technology_hash(kit: TextKit) -> str | None:
    """The content hash of the kit's technology lexicon: stored technology terms matched with
    another one are stale."""
    matcher = kit.technology_matcher
    return matcher.lexicon.content_hash if matcher is not None else None


def match_technology(kit: TextKit, passages: Iterable) -> None:
    """Match the technology lexicon on the passages without technology terms that the kit has
    not seen yet (one ``nlp.pipe`` pass; remembered per passage hash in
    ``kit.technology_hits``). Passages read with valid stored terms (``technology_terms`` not
    None, ``[]`` included) are not parsed again: the passages step matched them (issue 17)."""

    todo = {
        p.passage_hash: p.text
        for p in passages
        if p.technology_terms is None and p.passage_hash not in kit.technology_hits
    }
    if not todo:
        return
    for passage_hash, doc in zip(todo, kit.nlp.pipe(todo.values()), strict=True):
        kit.technology_hits[passage_hash] = lexicon_terms(kit.technology_matcher.match(doc))


def embed_passages(
    kit: TextKit, passages_by_key: dict[str, list], db_path: Path | None = None
) -> dict[str, list]:
    """Fill missing embeddings (through the warehouse cache when `db_path` is given) and the
    technology lexicon hits the technology axis reads."""
    todo = {
        p.passage_hash: p.text for ps in passages_by_key.values() for p in ps if p.embedding is None
    }
    vectors: dict[str, np.ndarray] = {}
    if todo:
        if db_path is not None:
            vectors = embed_cached(db_path, kit.embedder, list(todo.items()))
        else:
            hashes = list(todo)
            encoded = kit.embedder.encode([todo[h] for h in hashes])
            vectors = {h: np.asarray(encoded[i], dtype=np.float32) for i, h in enumerate(hashes)}
    if kit.technology_matcher is not None:
        match_technology(kit, (p for ps in passages_by_key.values() for p in ps))
    hits = kit.technology_hits
    return {
        key: [
            dataclasses.replace(
                p,
                embedding=p.embedding if p.embedding is not None else vectors[p.passage_hash],
                technology_terms=(
                    p.technology_terms
                    if p.technology_terms is not None
                    else hits.get(p.passage_hash)
                ),
            )
            for p in passages
        ]
        for key, passages in passages_by_key.items()
    }
