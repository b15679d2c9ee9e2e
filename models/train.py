"""`clusterradar train`: fit the classifier on today's labelled clusters and store the artefact.

Training is deterministic (seeded logistic regression, fixed grids, stable sorting), and keyed by
the training-data hash: retraining on unchanged input returns the stored artefact instead of a
new version, so `classify` can call this unconditionally.
"""

from __future__ import annotations

import datetime as dt
import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

from clusterradar import __version__
from clusterradar.errors import ConfigError, ModelError
from clusterradar.models.artefacts import StoredModel, load_model_by_hash, save_model
from clusterradar.models.cluster_model import ClusterModel, Prototypes, TrainingCluster
from clusterradar.models.corpus import (
    TextKit,
    embed_passages,
    load_text_kit,
    passages_of_documents,
    table_document,
)
from clusterradar.models.features import ClusterMeta
from clusterradar.models.intensity import KINDS, IntensityConfig
from clusterradar.models.training_data import (
    LabelledText,
    TrainingData,
    load_training_data,
    training_data_hash,
)
from clusterradar.settings import Settings


@dataclass(slots=True)
class TrainedModel:
    """What train_model returns: the model and its identity."""

    version: str
    training_data_hash: str
    n_examples: int
    model: ClusterModel
    reused: bool
    source: str


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """clusterradar's version plus the git commit when run from a checkout."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{__version__}+{sha}" if sha else __version__


def intensity_config(settings: Settings) -> IntensityConfig:
    kind = settings.models.classifier
    select = "fixed"
    if kind.endswith("_inner_cv"):
        kind, select = kind.removesuffix("_inner_cv"), "inner_cv"
    if kind not in KINDS:
        raise ConfigError(
            f"models.classifier={settings.models.classifier!r} is not a production classifier; "
            f"choose one of {', '.join(KINDS)} (optionally with '_inner_cv')"
        )
    return IntensityConfig(kind=kind, select=select, seed=settings.models.seed)


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


def fit_model(
    settings: Settings,
    kit: TextKit,
    training: list[TrainingCluster],
    *,
    thematic_only: list[TrainingCluster] = (),  # type: ignore[assignment]
    civil: list[TrainingCluster] = (),  # type: ignore[assignment]
) -> ClusterModel:
    prototypes = Prototypes.build(kit.embedder.encode)
    model = ClusterModel(prototypes, kit.term_categories, settings.models.evidence_per_suggestion)
    return model.fit(training, intensity_config(settings), thematic_only=thematic_only, civil=civil)


def _fit_training_data(
    settings: Settings, kit: TextKit, data: TrainingData, db_path: Path | None
) -> tuple[ClusterModel, int]:
    training = training_clusters(kit, data.labelled, db_path)
    thematic_only = training_clusters(kit, data.thematic_only, db_path)
    civil = training_clusters(kit, data.civil, db_path)
    model = fit_model(settings, kit, training, thematic_only=thematic_only, civil=civil)
    return model, len(training)


def train_model(settings: Settings, *, force: bool = False) -> TrainedModel:
    """Train (or reuse) the model for today's labels and text; stored when a warehouse exists."""
    kit = load_text_kit(settings)
    config = intensity_config(settings)
    data = load_training_data(settings, kit.embedder.model_id)
    labelled, source = data.labelled, data.source
    if len(labelled) < 2:
        raise ModelError(
            f"only {len(labelled)} labelled clusters; "
            "run 'clusterradar init' to load the paper's labels"
        )
    db_path = Path(settings.db) if Path(settings.db).exists() else None
    parameters = {
        "intensity": config.as_dict(),
        "evidence_per_suggestion": settings.models.evidence_per_suggestion,
    }
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
