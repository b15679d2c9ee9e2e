"""`clusterradar predict --documents FILE`: suggestions for clusters described by a documents file.

The model is the stored artefact for the current training data (trained on the fly when there is
none, or when there is no warehouse at all). Each `cluster` of the file must name a known
cluster — an id, or a URL matched to a cluster's website like the registry matching — unless
the caller allows unknown keys (new clusters described only by the file).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from clusterradar.errors import InputError
from clusterradar.labels import load_labelled_clusters
from clusterradar.models.cluster_model import ClusterSuggestions
from clusterradar.models.corpus import embed_passages, load_text_kit, passages_of_documents
from clusterradar.models.features import ClusterMeta
from clusterradar.models.train import TrainedModel, train_model
from clusterradar.pipeline.documents import read_documents
from clusterradar.settings import Settings
from clusterradar.urls import match_website
from clusterradar.warehouse import connect
from clusterradar.warehouse.clusters import list_clusters


def known_clusters(settings: Settings) -> list[tuple[str, str | None]]:
    """(cluster_id, website) of the clusters predict may name: the warehouse's, else the paper's."""
    if Path(settings.db).exists():
        with connect(settings.db, read_only=True) as con:
            return [(r.cluster_id, r.website) for r in list_clusters(con)]
    return [(c.id, c.website) for c in load_labelled_clusters()]


def known_meta(settings: Settings) -> dict[str, ClusterMeta]:
    """Registry name and go-cluster status of the known clusters (for the profile features)."""
    if Path(settings.db).exists():
        with connect(settings.db, read_only=True) as con:
            return {r.cluster_id: ClusterMeta(r.name, r.in_go_cluster) for r in list_clusters(con)}
    return {c.id: ClusterMeta(c.name, c.go_cluster) for c in load_labelled_clusters()}


def resolve_cluster_keys(
    documents: list, known: list[tuple[str, str | None]], allow_unknown: bool
) -> list:
    """Rewrite each document's cluster to a known cluster id (ids first, then website match)."""

    ids = {cluster_id for cluster_id, _ in known}
    websites = [(c, w) for c, w in known if w]
    out = []
    for document in documents:
        key = document.cluster
        if key not in ids:
            matched = match_website(key, websites) if ("." in key or "/" in key) else None
            if matched is None and not allow_unknown:
                raise InputError(
                    f"{document.where}: unknown cluster {key!r} "
                    "(not a cluster id or website in the "
                    "warehouse); pass --allow-unknown to predict it from the file alone"
                )
            key = matched or key
        out.append(dataclasses.replace(document, cluster=key))
    return out


def predict_documents(
    settings: Settings, documents_path: Path, *, allow_unknown: bool = False
) -> tuple[TrainedModel, list[ClusterSuggestions]]:
    """Suggestions per cluster of the file, in the order clusters first appear in it."""

    documents = read_documents(documents_path)
    documents = resolve_cluster_keys(documents, known_clusters(settings), allow_unknown)
    trained = train_model(settings)
    kit = load_text_kit(settings)
    db = Path(settings.db) if Path(settings.db).exists() else None
    passages = embed_passages(kit, passages_of_documents(kit, documents), db)
    order = list(dict.fromkeys(d.cluster for d in documents))
    metas = known_meta(settings)
    results = []
    for key in order:
        if not passages.get(key):
            raise InputError(
                f"{documents_path}: the documents of cluster {key!r} "
                "contain no text after extraction"
            )
        results.append(trained.model.suggest(key, passages[key], metas.get(key)))
    return trained, results


def suggestions_as_json(trained: TrainedModel, result: ClusterSuggestions) -> dict:
    """One JSON object per cluster (the line `predict` prints)."""
    dimensions: dict[str, list] = {}
    for s in result.suggestions:
        dimensions.setdefault(s.dimension, []).append(
            {
                "label": s.label_key,
                "score": round(s.score, 4),
                "rank": s.rank,
                "evidence": [
                    {
                        "rank": e.rank,
                        "url": e.url,
                        "snapshot_id": e.snapshot_id,
                        "passage": e.passage,
                        "reason": e.reason,
                        "score": round(e.score, 4),
                    }
                    for e in s.evidence
                ],
            }
        )
    return {
        "cluster": result.cluster_key,
        "model_version": trained.version,
        "training_data_hash": trained.training_data_hash,
        "n_passages": result.n_passages,
        "expected_level": round(result.expected_level, 3),
        "orientation": round(result.orientation, 3),
        "gate_score": round(result.gate_score, 4),
        "axes": axes_as_json(result),
        "suggestions": dimensions,
    }


def axes_as_json(result: ClusterSuggestions) -> dict | None:
    """Both axis scores with their top evidence passages (why this level: which technology,
    which security activity, and where)."""
    if result.axes is None:
        return None
    return result.axes.as_dict()
