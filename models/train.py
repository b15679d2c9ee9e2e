"""`clusterradar train`: fit the classifier on today's labelled clusters and store the artefact.

Training is deterministic (seeded logistic regression, fixed grids, stable sorting), and keyed by
the training-data hash: retraining on unchanged input returns the stored artefact instead of a
new version, so `classify` can call this unconditionally.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from clusterradar.errors import ConfigError, ModelError
from clusterradar.labels.civil import load_civil_examples
from clusterradar.models.cluster_model import ClusterModel, Prototypes, TrainingCluster
from clusterradar.models.code_version import code_version
from clusterradar.models.corpus import (
    TextKit,
    embed_passages,
    load_text_kit,
    passages_of_documents,
    table_document,
)
from clusterradar.models.features import ClusterMeta
from clusterradar.models.model_artifacts import StoredModel, load_model_by_hash, save_model
from clusterradar.models.training_data import (
    LabelledText,
    TrainingData,
    load_training_data,
    training_data_hash,
)
from clusterradar.models.typology import fixed_choices
from clusterradar.pipeline.documents import Document
from clusterradar.settings import Settings


def lexica_hash(kit: TextKit) -> str:
    """Identifies the lexica and the packaged civil examples (a change retrains)."""

    payload = {
        "svi": sorted((k, v.category, v.weight) for k, v in kit.svi_terms.items()),
        "technology": sorted((k, v.category, v.weight) for k, v in kit.technology_terms.items()),
        "civil_examples": [
            [e.id, e.name, list(e.technologiefelder), [[p.page_kind, p.text] for p in e.pages]]
            for e in load_civil_examples()
        ],
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(slots=True)
class TrainedModel:
    """What train_model returns: the model and its identity."""

    version: str
    training_data_hash: str
    n_examples: int
    model: ClusterModel
    reused: bool
    source: str


PRODUCTION_CLASSIFIERS = ("axes",)


def model_parameters(settings: Settings) -> dict:
    """What identifies the production model's configuration (part of the training-data hash)."""
    if settings.models.classifier not in PRODUCTION_CLASSIFIERS:
        raise ConfigError(
            f"models.classifier={settings.models.classifier!r} is not a production classifier; "
            f"choose one of {', '.join(PRODUCTION_CLASSIFIERS)} (the comparison rows of "
            "'clusterradar evaluate' are not for production)"
        )
    return {
        "classifier": settings.models.classifier,
        "typology": fixed_choices(),
        "evidence_per_suggestion": settings.models.evidence_per_suggestion,
    }


def training_clusters(
    kit: TextKit, labelled: list[LabelledText], db_path: Path | None
) -> list[TrainingCluster]:
    """Warehouse passages plus the table text of every labelled cluster, embedded.

    ``level`` is 0 for clusters without a level 1..5 (civil and thematic-only examples).
    """
    table = passages_of_documents(
        kit, [table_document(t.cluster_id, *t.table_text_parts) for t in labelled]
    )
    texts = {t.cluster_id: list(t.passages) + table.get(t.cluster_id, []) for t in labelled}
    texts = embed_passages(kit, texts, db_path)
    return [
        TrainingCluster(
            t.cluster_id,
            t.level or 0,
            texts[t.cluster_id],
            dict(t.thematic),
            ClusterMeta(t.name, t.table_text_parts[2]),
        )
        for t in labelled
    ]


def new_model(settings: Settings, kit: TextKit) -> ClusterModel:
    """An unfitted model with the kit's prototypes and lexica."""
    return ClusterModel(
        Prototypes.build(kit.embedder.encode),
        kit.term_categories,
        settings.models.evidence_per_suggestion,
        kit.svi_terms,
        kit.technology_terms,
    )


def fit_model(
    settings: Settings,
    kit: TextKit,
    training: list[TrainingCluster],
    *,
    thematic_only: list[TrainingCluster] = (),  # type: ignore[assignment]
    civil: list[TrainingCluster] = (),  # type: ignore[assignment]
) -> ClusterModel:
    return new_model(settings, kit).fit(training, thematic_only=thematic_only, civil=civil)


def civil_example_clusters(kit: TextKit, db_path: Path | None) -> list[TrainingCluster]:
    """The packaged civil examples (labels/civil.py) as training clusters: registry-like table
    text (name + Technologiefelder) plus their website-like pages."""

    documents = []
    for example in load_civil_examples():
        key = f"civil-example:{example.id}"
        documents.append(table_document(key, example.name, ", ".join(example.technologiefelder)))
        documents.extend(
            Document(key, None, page.text, None, i, "civil examples", page.page_kind)
            for i, page in enumerate(example.pages, start=1)
        )
    texts = embed_passages(kit, passages_of_documents(kit, documents), db_path)
    return [
        TrainingCluster(key, 0, passages, {}, ClusterMeta(None, False))
        for key, passages in sorted(texts.items())
    ]


def _fit_training_data(
    settings: Settings, kit: TextKit, data: TrainingData, db_path: Path | None
) -> tuple[ClusterModel, int]:
    training = training_clusters(kit, data.labelled, db_path)
    thematic_only = training_clusters(kit, data.thematic_only, db_path)
    civil = training_clusters(kit, data.civil, db_path) + civil_example_clusters(kit, db_path)
    model = fit_model(settings, kit, training, thematic_only=thematic_only, civil=civil)
    return model, len(training)


def train_model(settings: Settings, *, force: bool = False) -> TrainedModel:
    """Train (or reuse) the model for today's labels and text; stored when a warehouse exists."""
    parameters = model_parameters(settings)
    kit = load_text_kit(settings)
    data = load_training_data(settings, kit.embedder.model_id)
    labelled, source = data.labelled, data.source
    if len(labelled) < 2:
        raise ModelError(
            f"only {len(labelled)} labelled clusters; "
            "run 'clusterradar init' to load the paper's labels"
        )
    db_path = Path(settings.db) if Path(settings.db).exists() else None
    parameters["lexica"] = lexica_hash(kit)
    data_hash = training_data_hash(data, kit.embedder.model_id, parameters)
    if db_path is not None and not force:
        stored = load_model_by_hash(db_path, data_hash, code_version())
        if stored is not None:
            return TrainedModel(
                stored.model_version, data_hash, stored.n_examples, stored.model, True, source
            )
    model, n_examples = _fit_training_data(settings, kit, data, db_path)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    version = f"{settings.models.classifier}-{now:%Y%m%dT%H%M%S}-{data_hash[:8]}"
    if db_path is not None:
        save_model(
            db_path,
            StoredModel(
                model_version=version,
                created_at=now,
                training_data_hash=data_hash,
                classifier=settings.models.classifier,
                embedding_model=kit.embedder.model_id,
                n_examples=n_examples,
                code_version=code_version(),
                model=model,
            ),
        )
    return TrainedModel(version, data_hash, n_examples, model, False, source)
