"""Which clusters are labelled today, with what, and which text each has.

Labels: the effective classification today of every cluster (the paper's labels, replaced by
accepted or overridden review decisions) in the intensity dimension, plus reviewed thematic
labels. Text: the cluster's current passages in the warehouse plus its table text (name +
Teilbereiche, or name + Technologiefelder for registry clusters) as one more document.
Without a warehouse file the packaged label files give the labels and the table text only.

Three kinds of labelled cluster (:class:`TrainingData`), so no review decision is lost:
``labelled`` have an intensity level 1..5 (the ordinal model learns from them); ``civil`` were
decided ``no_svi_relevance`` (natural negatives for the no-SVI gate); ``thematic_only`` have
reviewed thematic labels but no level 1..5 (the thematic scorer learns from them). All three
enter the training-data hash, so every review decision changes the next ``train``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from clusterradar import clock
from clusterradar.labels import NO_SVI_RELEVANCE, load_labelled_clusters, load_taxonomy
from clusterradar.models.prototypes import INTENSITY, THEMATIC_DIMENSIONS
from clusterradar.pipeline.lexicon import load_technology_lexicon
from clusterradar.pipeline.store import cluster_passages
from clusterradar.settings import Settings
from clusterradar.warehouse import connect
from clusterradar.warehouse.clusters import list_clusters
from clusterradar.warehouse.history import effective_at


@dataclass(slots=True)
class LabelledText:
    """A labelled cluster before embedding: labels, table text and warehouse passages.

    ``level`` is None for clusters without an intensity level 1..5 (``no_svi_relevance``, or
    only thematic labels reviewed).
    """

    cluster_id: str
    name: str
    website: str | None
    level: int | None
    table_text_parts: tuple[str, str | None, bool]  # (name, Teilbereiche-like text, go-cluster)
    thematic: dict[str, list[str]] = field(default_factory=dict)
    passages: list = field(default_factory=list)  # warehouse passages (pipeline.store.Passage)


def level_of_key() -> dict[str, int]:
    return {
        c.key: c.level
        for c in load_taxonomy().dimension(INTENSITY).categories
        if c.level is not None
    }


def labelled_from_files() -> list[LabelledText]:
    """The paper's labelled clusters from the packaged label files (no warehouse)."""
    levels = level_of_key()
    return [
        LabelledText(
            c.id, c.name, c.website, levels[c.intensity], (c.name, c.teilbereiche, c.go_cluster)
        )
        for c in load_labelled_clusters()
    ]


@dataclass(slots=True)
class TrainingData:
    """Everything reviewers and the paper decided, split by what each model can learn from."""

    labelled: list[LabelledText]  # intensity level 1..5
    civil: list[LabelledText] = field(default_factory=list)  # intensity no_svi_relevance
    thematic_only: list[LabelledText] = field(default_factory=list)  # reviewed thematic, no level
    source: str = ""


def training_data_from_warehouse(
    db_path: Path,
    model_id: str | None,
    as_of: dt.date | None = None,
    technology_hash: str | None = None,
) -> TrainingData:
    """Labelled, civil and thematic-only clusters as the warehouse says today, with passages
    (their stored technology terms where matched with the lexicon of ``technology_hash``)."""

    levels = level_of_key()
    paper = {c.id: c for c in load_labelled_clusters()}
    as_of = as_of or clock.today()
    with connect(db_path, read_only=True) as con:
        versions = effective_at(con, as_of)
        clusters = {r.cluster_id: r for r in list_clusters(con)}
        intensity = {
            v.cluster_id: v.labels[0]
            for v in versions
            if v.dimension == INTENSITY and v.labels and v.cluster_id in clusters
        }
        thematic_of: dict[str, dict[str, list[str]]] = {}
        for v in versions:
            if v.dimension in THEMATIC_DIMENSIONS and v.cluster_id in clusters:
                thematic_of.setdefault(v.cluster_id, {})[v.dimension] = list(v.labels)
        wanted = sorted(
            {cid for cid, key in intensity.items() if key in levels or key == NO_SVI_RELEVANCE}
            | set(thematic_of)
        )
        passages = cluster_passages(con, wanted, model_id, technology_hash) if wanted else {}
    data = TrainingData(labelled=[])
    for cluster_id in wanted:
        record = clusters[cluster_id]
        description = (
            paper[cluster_id].teilbereiche
            if cluster_id in paper
            else ", ".join(record.technologiefelder or [])
        )
        key = intensity.get(cluster_id)
        text = LabelledText(
            cluster_id=cluster_id,
            name=record.name,
            website=record.website,
            level=levels.get(key) if key else None,
            table_text_parts=(record.name, description, record.in_go_cluster),
            thematic=thematic_of.get(cluster_id, {}),
            passages=passages.get(cluster_id, []),
        )
        if text.level is not None:
            data.labelled.append(text)
        else:
            if key == NO_SVI_RELEVANCE:
                data.civil.append(text)
            if text.thematic:
                data.thematic_only.append(text)
    return data


def load_training_data(settings: Settings, model_id: str | None) -> TrainingData:
    """The warehouse's labelled/civil/thematic-only clusters when it has any, else the files."""
    if Path(settings.db).exists():
        technology = load_technology_lexicon(settings.nlp.technology_lexicon_path)
        found = training_data_from_warehouse(
            Path(settings.db), model_id, technology_hash=technology.content_hash
        )
        if found.labelled:
            found.source = f"warehouse {settings.db}"
            return found
    return TrainingData(labelled_from_files(), source="packaged label files (no warehouse)")


def load_labelled(settings: Settings, model_id: str | None) -> tuple[list[LabelledText], str]:
    """(clusters with a level 1..5, where they came from) — what the evaluation folds over."""
    data = load_training_data(settings, model_id)
    return data.labelled, data.source


def _hash_entry(t: LabelledText) -> dict:
    return {
        "id": t.cluster_id,
        "level": t.level,
        "thematic": {k: sorted(v) for k, v in sorted(t.thematic.items())},
        "table": list(t.table_text_parts),
        "passages": sorted(p.passage_hash for p in t.passages),
    }


def training_data_hash(
    labelled: list[LabelledText] | TrainingData, model_id: str, parameters: dict
) -> str:
    """Identifies the training input: labels, text (passage hashes), embedder and parameters.

    With a :class:`TrainingData`, civil (no_svi_relevance) and thematic-only clusters count
    too; without any of them the hash equals the one of the labelled list alone, so artefacts
    trained before they existed stay valid.
    """
    data = labelled if isinstance(labelled, TrainingData) else TrainingData(list(labelled))
    payload: dict = {
        "model_id": model_id,
        "parameters": parameters,
        "clusters": [_hash_entry(t) for t in sorted(data.labelled, key=lambda t: t.cluster_id)],
    }
    if data.civil:
        payload["civil"] = [_hash_entry(t) for t in sorted(data.civil, key=lambda t: t.cluster_id)]
    if data.thematic_only:
        payload["thematic_only"] = [
            _hash_entry(t) for t in sorted(data.thematic_only, key=lambda t: t.cluster_id)
        ]
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()
