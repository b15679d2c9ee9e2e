"""Which clusters are labelled today, with what, and which text each has.

Labels: the effective classification today of every cluster (the paper's labels, replaced by
accepted or overridden review decisions) in the intensity dimension, plus reviewed thematic
labels. Text: the cluster's current passages in the warehouse plus its table text (name +
Teilbereiche, or name + Technologiefelder for registry clusters) as one more document.
Without a warehouse file the packaged label files give the labels and the table text only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from clusterradar.labels import load_labelled_clusters, load_taxonomy
from clusterradar.models.prototypes import INTENSITY, THEMATIC_DIMENSIONS
from clusterradar.settings import Settings


@dataclass(slots=True)
class LabelledText:
    """A labelled cluster before embedding: labels, table text and warehouse passages."""

    cluster_id: str
    name: str
    website: str | None
    level: int
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


def labelled_from_warehouse(
    db_path: Path, model_id: str | None, as_of: dt.date | None = None
) -> list[LabelledText]:
    """Labelled clusters as the warehouse says today, with their current passages."""
    from clusterradar.pipeline.store import cluster_passages
    from clusterradar.warehouse import connect
    from clusterradar.warehouse.history import effective_at

    levels = level_of_key()
    paper = {c.id: c for c in load_labelled_clusters()}
    as_of = as_of or dt.date.today()
    with connect(db_path, read_only=True) as con:
        versions = effective_at(con, as_of)
        clusters = {
            row[0]: row[1:]
            for row in con.execute(
                "SELECT cluster_id, name, website, technologiefelder, go_cluster, "
                "foerdermassnahmen FROM clusters"
            ).fetchall()
        }
        labelled_ids = sorted(
            {
                v.cluster_id
                for v in versions
                if v.dimension == INTENSITY
                and v.labels
                and v.labels[0] in levels
                and v.cluster_id in clusters
            }
        )
        passages = cluster_passages(con, labelled_ids, model_id) if labelled_ids else {}
    out = []
    for cluster_id in labelled_ids:
        name, website, technologiefelder, go_cluster, foerdermassnahmen = clusters[cluster_id]
        go = bool(go_cluster) or any(
            "go-cluster" in (f or "").lower() for f in foerdermassnahmen or []
        )
        intensity = next(
            v for v in versions if v.cluster_id == cluster_id and v.dimension == INTENSITY
        )
        thematic = {
            v.dimension: list(v.labels)
            for v in versions
            if v.cluster_id == cluster_id and v.dimension in THEMATIC_DIMENSIONS
        }
        description = (
            paper[cluster_id].teilbereiche
            if cluster_id in paper
            else ", ".join(technologiefelder or [])
        )
        out.append(
            LabelledText(
                cluster_id=cluster_id,
                name=name,
                website=website,
                level=levels[intensity.labels[0]],
                table_text_parts=(name, description, go),
                thematic=thematic,
                passages=passages.get(cluster_id, []),
            )
        )
    return out


def load_labelled(settings: Settings, model_id: str | None) -> tuple[list[LabelledText], str]:
    """(labelled clusters, where they came from) — the warehouse when it exists, else the files."""
    if Path(settings.db).exists():
        found = labelled_from_warehouse(Path(settings.db), model_id)
        if found:
            return found, f"warehouse {settings.db}"
    return labelled_from_files(), "packaged label files (no warehouse)"


def training_data_hash(labelled: list[LabelledText], model_id: str, parameters: dict) -> str:
    """Identifies the training input: labels, text (passage hashes), embedder and parameters."""
    payload = {
        "model_id": model_id,
        "parameters": parameters,
        "clusters": [
            {
                "id": t.cluster_id,
                "level": t.level,
                "thematic": {k: sorted(v) for k, v in sorted(t.thematic.items())},
                "table": list(t.table_text_parts),
                "passages": sorted(p.passage_hash for p in t.passages),
            }
            for t in sorted(labelled, key=lambda t: t.cluster_id)
        ],
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()
