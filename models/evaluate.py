"""Leave-one-cluster-out evaluation of the intensity classifier and the no-SVI gate.

Every labelled cluster is held out once. Without a documents file the held-out cluster is
predicted from the same text the production model has for it (warehouse passages + table
text). With ``--documents`` each fold trains on everything it would use for the other clusters
(their warehouse text, table text and their documents from the file) and predicts the held-out
cluster from its documents in the file only; labelled clusters absent from the file are skipped
and counted. With ``crawled_only`` (``--crawled-only``) the held-out cluster is predicted from
its crawled pages in the warehouse only (no table text): the measurement after a fresh crawl of
the labelled clusters without writing a documents file; clusters without crawled passages are
skipped and counted. Features (axes, embeddings) depend only on the prototypes and lexica,
never on labels, so they are computed once; all fitting (ordinal model, cut points, gate
threshold, level-5 floor, inner CV of the comparison row) happens inside each fold.

Rows (``variants``, a registry of data rows): the production model (``axes``,
docs/decisions/0004, 0006 and 0008) and two comparisons: the previous
default (embedding ++ profile, balanced LR, C by inner leave-one-out) and the zero-shot
prototypes. The research variants of earlier rounds are listed in docs/evaluation.md.

Gate sets: ``--civil FILE`` (repeatable) are clusters the gate must reject, ``--kept FILE``
(repeatable) clusters it must keep (enabler-technology sites nearly free of security words);
both are scored by the production model fitted on all labelled clusters and the packaged civil
examples, the labelled clusters themselves leave-one-out.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress

from clusterradar.errors import InputError, ModelError
from clusterradar.labels.thematic_annotations import load_thematic_annotations
from clusterradar.models import metrics as m
from clusterradar.models.cluster_model import ClusterModel, typology_example
from clusterradar.models.corpus import (
    embed_passages,
    load_text_kit,
    passages_of_documents,
    table_document,
)
from clusterradar.models.features import ClusterFeatures, ClusterMeta
from clusterradar.models.intensity import LEVELS, IntensityConfig, IntensityModel
from clusterradar.models.thematic_evaluation import ThematicDimensionScores, evaluate_thematic
from clusterradar.models.train import civil_example_clusters, new_model
from clusterradar.models.training_data import LabelledText, load_labelled
from clusterradar.models.typology import TypologyModel
from clusterradar.pipeline.documents import read_documents
from clusterradar.settings import Settings
from clusterradar.urls import match_website

ORDER = {level: level for level in LEVELS}
PAPER_LEVELS = (1, 3, 4)  # the levels that have labelled examples


@dataclass(slots=True)
class Variant:
    """One compared model, a row of data: a name, what it is, and either a comparison row's
    configuration or ``typology=True`` for the production axes model."""

    name: str
    description: str
    config: IntensityConfig | None = None
    typology: bool = False


DEFAULT = "axes"


def variants(settings: Settings) -> list[Variant]:
    seed = settings.models.seed
    return [
        Variant(
            DEFAULT,
            "production: technology potential T and security orientation S, gate on "
            "1-(1-T)(1-S), level 5 below the civil S floor, level 1 = named for security or "
            "defence as a sector, cumulative-link model for 4..2 on S, S on activity pages, "
            "page coverage, T and families; weak words count only corroborated "
            "(docs/decisions/0004, 0006, 0008)",
            typology=True,
        ),
        Variant(
            "previous_default",
            "default until 2026-12: focus embedding ++ profile, balanced LR, C by inner "
            "leave-one-out (decision 0002)",
            IntensityConfig(kind="profile_embedding", select="inner_cv", seed=seed),
        ),
        Variant(
            "prototype",
            "zero-shot: similarity to the taxonomy's level descriptions",
            IntensityConfig(kind="prototype", seed=seed),
        ),
    ]


@dataclass(slots=True)
class Scores:
    """Metrics of one variant, with 95% intervals."""

    n: int
    accuracy: m.Interval
    macro_f1: m.Interval
    mae: m.Interval
    within_one: m.Interval
    qwk: m.Interval
    brier: m.Interval
    coverage_at_90_precision: m.Interval
    coverage_threshold: float | None
    confusion_matrix: list[list[int]]
    per_class: list[m.ClassReport]
    predictions: dict[str, int]
    # what inner cross-validation picked, counted over the outer folds ("kind=ordinal": 20, …)
    fold_choices: dict[str, int] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "accuracy": self.accuracy.as_dict(),
            "macro_f1": self.macro_f1.as_dict(),
            "mae": self.mae.as_dict(),
            "within_one": self.within_one.as_dict(),
            "qwk": self.qwk.as_dict(),
            "brier": self.brier.as_dict(),
            "coverage_at_90_precision": self.coverage_at_90_precision.as_dict(),
            "coverage_threshold": self.coverage_threshold,
            "confusion_matrix": {
                "labels": list(LEVELS),
                "rows_true_cols_pred": self.confusion_matrix,
            },
            "per_class": [dataclasses.asdict(r) for r in self.per_class],
            "predictions": self.predictions,
            "fold_choices": self.fold_choices,
        }


@dataclass(slots=True)
class GateSet:
    """One set of clusters the gate must keep (``expect="kept"``) or reject."""

    name: str
    expect: str
    n: int
    correct: m.Interval  # share kept (or rejected), Wilson interval
    wrong: dict[str, float]  # clusters on the wrong side → their relevance

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["correct"] = self.correct.as_dict()
        return data


@dataclass(slots=True)
class GateScores:
    """The gate of the production model on the labelled clusters (held out) and the sets."""

    threshold: float
    threshold_source: str
    security_floor: float
    n_civil_examples: int
    labelled_kept: m.Interval
    labelled_gated: dict[str, float]
    roc_auc: float | None  # relevance, labelled (held out) vs all civil sets
    sets: list[GateSet]

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["labelled_kept"] = self.labelled_kept.as_dict()
        data["sets"] = [s.as_dict() for s in self.sets]
        return data


@dataclass(slots=True)
class EvaluationReport:
    mode: str
    source: str
    embedding_model: str
    n_clusters: int
    skipped: list[str]
    results: dict[str, Scores]
    descriptions: dict[str, str]
    gate: GateScores | None = None
    notes: list[str] = field(default_factory=list)
    # precision at 1 per thematic dimension against the annotation (record 10); empty where the
    # held-out text includes the table text the annotation was written from
    thematic: list[ThematicDimensionScores] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "mode": self.mode,
            "source": self.source,
            "embedding_model": self.embedding_model,
            "n_clusters": self.n_clusters,
            "skipped": len(self.skipped),
            "skipped_clusters": self.skipped,
            "majority_share_all": _majority_share(self),
            "models": {name: scores.as_dict() for name, scores in self.results.items()},
            "descriptions": self.descriptions,
            "gate": self.gate.as_dict() if self.gate else None,
            "thematic": {t.dimension: t.as_dict() for t in self.thematic},
            "notes": self.notes,
        }


def _majority_share(report: EvaluationReport) -> float | None:
    any_scores = next(iter(report.results.values()), None)
    if any_scores is None or any_scores.n == 0:
        return None
    truth = [sum(row) for row in any_scores.confusion_matrix]
    return max(truth) / sum(truth)


# -- scoring --------------------------------------------------------------------------------
def score(y: list[int], pred: list[int], probs: list[np.ndarray], keys: list[str]) -> Scores:
    """All metrics of one variant, with Wilson intervals for proportions, bootstrap otherwise."""
    n = len(y)
    correct = round(m.accuracy(y, pred) * n)
    within = round(m.within_one_accuracy(y, pred, ORDER) * n)
    prob_dicts = [dict(zip(LEVELS, map(float, p), strict=True)) for p in probs]
    confidence = [float(p.max()) for p in probs]
    coverage, threshold = m.coverage_at_precision(y, pred, confidence, 0.9)

    def boot(fn) -> m.Interval:
        value = fn(list(range(n)))
        low, high = m.bootstrap_interval(fn, n)
        return m.Interval(value, low, high)

    def sub(indices, values):
        return [values[i] for i in indices]

    labels = list(PAPER_LEVELS)
    return Scores(
        n=n,
        accuracy=m.wilson_interval(correct, n),
        macro_f1=boot(lambda ix: m.macro_f1(sub(ix, y), sub(ix, pred), labels)),
        mae=boot(lambda ix: m.mean_absolute_level_error(sub(ix, y), sub(ix, pred), ORDER)),
        within_one=m.wilson_interval(within, n),
        qwk=boot(lambda ix: m.quadratic_weighted_kappa(sub(ix, y), sub(ix, pred), ORDER)),
        brier=boot(lambda ix: m.brier_score(sub(ix, y), sub(ix, prob_dicts))),
        coverage_at_90_precision=m.wilson_interval(round(coverage * n), n),
        coverage_threshold=threshold,
        confusion_matrix=m.confusion_matrix(y, pred, list(LEVELS)),
        per_class=m.per_class(y, pred, list(LEVELS)),
        predictions=dict(zip(keys, pred, strict=True)),
    )


# -- the procedure --------------------------------------------------------------------------
@dataclass(slots=True)
class EvaluationInputs:
    """Features per labelled cluster: what training sees, and what the held-out fold sees."""

    keys: list[str]
    levels: list[int]
    train: dict[str, ClusterFeatures]
    test: dict[str, ClusterFeatures]
    test_texts: dict[str, list[str]]
    train_texts: dict[str, list[str]]
    skipped: list[str]
    civil_examples: list[ClusterFeatures]  # packaged training negatives (labels/civil.py)
    gate_sets: list[tuple[str, str, dict[str, ClusterFeatures]]]  # (name, expect, features)
    model: ClusterModel
    all_levels: dict[str, int]


def resolve_documents(documents: list, labelled: list[LabelledText]) -> list:
    """Rewrite each document's `cluster` to a labelled cluster id (id, or website match)."""

    ids = {t.cluster_id for t in labelled}
    websites = [(t.cluster_id, t.website) for t in labelled if t.website]
    out = []
    for document in documents:
        cluster = document.cluster
        if cluster not in ids:
            matched = (
                match_website(cluster, websites) if ("." in cluster or "/" in cluster) else None
            )
            if matched is None:
                raise InputError(
                    f"{document.where}: unknown cluster {cluster!r} "
                    "(not the id or website of a labelled cluster)"
                )
            cluster = matched
        out.append(dataclasses.replace(document, cluster=cluster))
    return out


def prepare(
    settings: Settings,
    documents_path: Path | None = None,
    civil_paths: list[Path] = (),  # type: ignore[assignment]
    crawled_only: bool = False,
    kept_paths: list[Path] = (),  # type: ignore[assignment]
) -> tuple[EvaluationInputs, str]:
    """Everything leave-one-out evaluation needs: each labelled cluster's training and held-out
    features, the civil examples and the gate's document sets; and where the labels came from."""
    if crawled_only and documents_path:
        raise InputError("--crawled-only and --documents exclude each other; choose one")

    kit = load_text_kit(settings)
    labelled, source = load_labelled(settings, kit.embedder.model_id)
    if len(labelled) < 3:
        raise ModelError(f"only {len(labelled)} labelled clusters; leave-one-out needs at least 3")
    documents = (
        resolve_documents(read_documents(documents_path), labelled) if documents_path else []
    )
    set_documents = [
        (path, expect, read_documents(path))
        for expect, paths in (("rejected", civil_paths), ("kept", kept_paths))
        for path in paths
    ]
    db = Path(settings.db) if Path(settings.db).exists() else None
    everything = _embedded_passages_by_source(kit, labelled, documents, set_documents, db)
    model = new_model(settings, kit)
    held_out = "file" if documents_path else "crawled" if crawled_only else "own"
    folds = _fold_features(model, labelled, everything, held_out)
    civil_examples = [model.features(c.key, c.passages) for c in civil_example_clusters(kit, db)]
    gate_sets = [
        (path.name, expect, _set_features(model, everything, f"s{index}:"))
        for index, (path, expect, _docs) in enumerate(set_documents)
    ]
    all_levels = {t.cluster_id: t.level for t in labelled}
    inputs = EvaluationInputs(
        folds.keys,
        folds.levels,
        folds.train,
        folds.test,
        folds.test_texts,
        folds.train_texts,
        folds.skipped,
        civil_examples,
        gate_sets,
        model,
        all_levels,
    )
    return inputs, source


def _embedded_passages_by_source(kit, labelled, documents, set_documents, db) -> dict:
    """Embedded passages keyed by source and cluster: ``t:`` the labels table's text, ``f:`` the
    --documents file, ``w:`` the crawled website, ``sN:`` the N-th civil/kept document set."""
    table = [table_document(t.cluster_id, *t.table_text_parts) for t in labelled]
    by_table = passages_of_documents(kit, table)
    by_file = passages_of_documents(kit, documents) if documents else {}
    everything = {
        **{f"t:{k}": v for k, v in by_table.items()},
        **{f"f:{k}": v for k, v in by_file.items()},
    }
    everything.update({f"w:{t.cluster_id}": t.passages for t in labelled if t.passages})
    for index, (_path, _expect, docs) in enumerate(set_documents):
        by_set = passages_of_documents(
            kit, [dataclasses.replace(d, cluster=f"s{index}:{d.cluster}") for d in docs]
        )
        everything.update(by_set)
    return embed_passages(kit, everything, db)


@dataclasses.dataclass(slots=True)
class _FoldFeatures:
    keys: list = dataclasses.field(default_factory=list)
    levels: list = dataclasses.field(default_factory=list)
    train: dict = dataclasses.field(default_factory=dict)
    test: dict = dataclasses.field(default_factory=dict)
    train_texts: dict = dataclasses.field(default_factory=dict)
    test_texts: dict = dataclasses.field(default_factory=dict)
    skipped: list = dataclasses.field(default_factory=list)


def _fold_features(model, labelled, everything: dict, held_out: str) -> _FoldFeatures:
    """Training and held-out features per labelled cluster. ``held_out`` is the text a fold
    tests on: ``file`` (--documents), ``crawled`` (--crawled-only) or ``own`` (website + table);
    a cluster without that text is skipped, but still trains the folds of the others."""
    folds = _FoldFeatures()
    for t in labelled:
        meta = ClusterMeta(t.name, t.table_text_parts[2])
        own = everything.get(f"w:{t.cluster_id}", []) + everything.get(f"t:{t.cluster_id}", [])
        from_file = everything.get(f"f:{t.cluster_id}", [])
        crawled = everything.get(f"w:{t.cluster_id}", [])
        if (held_out == "file" and not from_file) or (held_out == "crawled" and not crawled):
            folds.skipped.append(t.cluster_id)
            continue
        folds.keys.append(t.cluster_id)
        folds.levels.append(t.level)
        folds.train[t.cluster_id] = model.features(t.cluster_id, own + from_file, meta)
        folds.train_texts[t.cluster_id] = [p.text for p in own + from_file]
        tested = {"file": from_file, "crawled": crawled}.get(held_out, own)
        folds.test[t.cluster_id] = model.features(t.cluster_id, tested, meta)
        folds.test_texts[t.cluster_id] = [p.text for p in tested]
    # Skipped clusters still train the folds of the others (they have warehouse/table text).
    for t in labelled:
        if t.cluster_id in folds.skipped:
            own = everything.get(f"w:{t.cluster_id}", []) + everything.get(f"t:{t.cluster_id}", [])
            meta = ClusterMeta(t.name, t.table_text_parts[2])
            folds.train[t.cluster_id] = model.features(t.cluster_id, own, meta)
            folds.train_texts[t.cluster_id] = [p.text for p in own]
    return folds


def _set_features(model, everything: dict, prefix: str) -> dict:
    """Features of one civil/kept document set's clusters, by their unprefixed keys."""
    return {
        k.removeprefix(prefix): model.features(k, v)
        for k, v in everything.items()
        if k.startswith(prefix) and v
    }


def _training_keys(inputs: EvaluationInputs, held_out: str) -> list[str]:
    return [k for k in inputs.train if k != held_out]


def _fold_model(inputs: EvaluationInputs, train_keys: list[str]) -> TypologyModel:
    levels_of = inputs.all_levels
    return TypologyModel().fit(
        [typology_example(inputs.train[k]) for k in train_keys],
        [levels_of[k] for k in train_keys],
        [typology_example(f) for f in inputs.civil_examples],
    )


def run_axes(
    inputs: EvaluationInputs, on_fold: Callable[[], object] | None = None
) -> tuple[list[int], list[np.ndarray], dict[str, float]]:
    """Leave-one-out predictions of the production model (levels 1..5, gate ignored) and the
    held-out P(no SVI relevance) of each labelled cluster."""
    preds, probs, p_none = [], [], {}
    for key in inputs.keys:
        model = _fold_model(inputs, _training_keys(inputs, key))
        outcome = model.probabilities(typology_example(inputs.test[key]))
        levels = TypologyModel.on_scale(outcome)
        preds.append(LEVELS[int(np.argmax(levels))])
        probs.append(levels)
        p_none[key] = float(outcome[0])
        if on_fold is not None:
            on_fold()
    return preds, probs, p_none


def run_variant(
    inputs: EvaluationInputs,
    config: IntensityConfig,
    levels_of: dict[str, int],
    fold_choices: Counter | None = None,
    on_fold: Callable[[], object] | None = None,
) -> tuple[list[int], list[np.ndarray]]:
    """Leave-one-out predictions of a comparison row; what inner CV chose per fold is counted
    into `fold_choices`."""
    preds, probs = [], []
    for key in inputs.keys:
        train_keys = _training_keys(inputs, key)
        model = IntensityModel(dataclasses.replace(config)).fit(
            [inputs.train[k] for k in train_keys], [levels_of[k] for k in train_keys]
        )
        preds.append(model.predict([inputs.test[key]])[0])
        probs.append(model.predict_proba([inputs.test[key]])[0])
        if fold_choices is not None:
            for name, value in sorted(model.chosen.items()):
                fold_choices[
                    f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"
                ] += 1
        if on_fold is not None:
            on_fold()
    return preds, probs


def evaluate_gate(inputs: EvaluationInputs, held_out_none: dict[str, float]) -> GateScores:
    """Labelled clusters (held out) must be kept; each set kept or rejected as it says."""
    model = _fold_model(inputs, list(inputs.train))
    gated = {k: v for k, v in held_out_none.items() if v >= 0.5}
    kept = len(held_out_none) - len(gated)
    sets, civil_relevance = [], []
    for name, expect, features in inputs.gate_sets:
        outcome = {k: model.probabilities(typology_example(f))[0] for k, f in features.items()}
        ok = [k for k, p in outcome.items() if (p < 0.5) == (expect == "kept")]
        wrong = {
            k.removeprefix("civil:"): round(features[k].axes.relevance, 4)
            for k in features
            if k not in ok
        }
        sets.append(
            GateSet(name, expect, len(features), m.wilson_interval(len(ok), len(features)), wrong)
        )
        if expect == "rejected":
            civil_relevance.extend(f.axes.relevance for f in features.values())
    labelled_relevance = [inputs.test[k].axes.relevance for k in inputs.keys]
    auc = (
        m.roc_auc(
            [1] * len(labelled_relevance) + [0] * len(civil_relevance),
            labelled_relevance + civil_relevance,
        )
        if civil_relevance
        else None
    )
    return GateScores(
        threshold=model.gate_threshold,
        threshold_source=model.gate_source,
        security_floor=model.security_floor,
        n_civil_examples=len(inputs.civil_examples),
        labelled_kept=m.wilson_interval(kept, len(held_out_none)),
        labelled_gated={k: round(inputs.test[k].axes.relevance, 4) for k in gated},
        roc_auc=auc,
        sets=sets,
    )


def evaluate(
    settings: Settings,
    *,
    documents_path: Path | None = None,
    civil_paths: list[Path] = (),  # type: ignore[assignment]
    kept_paths: list[Path] = (),  # type: ignore[assignment]
    only: list[str] | None = None,
    progress: bool = False,
    crawled_only: bool = False,
) -> EvaluationReport:
    """Run the comparison; `only` restricts the rows by name (the gate needs ``axes``).
    `progress` shows one bar per model over its leave-one-out folds on stderr."""

    known = [v.name for v in variants(settings)]
    unknown = sorted(set(only or []) - set(known))
    if unknown:
        raise InputError(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    inputs, source = prepare(settings, documents_path, civil_paths, crawled_only, kept_paths)
    if len(inputs.keys) < 2:
        where = "crawled pages in the warehouse" if crawled_only else "documents in the file"
        hint = "; crawl and process them first" if crawled_only else ""
        raise ModelError(
            f"only {len(inputs.keys)} labelled clusters have {where}; nothing to evaluate{hint}"
        )
    levels_of = inputs.all_levels
    kit = load_text_kit(settings)
    results, descriptions = {}, {}
    gate = None
    selected = [v for v in variants(settings) if not only or v.name in only]
    bars = Progress(console=Console(stderr=True), disable=not progress, transient=True)
    with bars:
        for variant in selected:
            task = bars.add_task(f"leave-one-out: {variant.name}", total=len(inputs.keys))
            advance = functools.partial(bars.advance, task)
            choices: Counter = Counter()
            if variant.typology:
                preds, probs, held_out_none = run_axes(inputs, advance)
                gate = evaluate_gate(inputs, held_out_none)
            else:
                preds, probs = run_variant(inputs, variant.config, levels_of, choices, advance)
            results[variant.name] = score(inputs.levels, preds, probs, inputs.keys)
            results[variant.name].fold_choices = dict(sorted(choices.items()))
            descriptions[variant.name] = variant.description
    mode = (
        "documents"
        if documents_path
        else "crawled pages only"
        if crawled_only
        else "labelled text (warehouse passages + table text)"
    )
    thematic, notes = [], []
    if documents_path or crawled_only:
        thematic = evaluate_thematic(
            inputs.model.thematic, inputs.test, thematic_annotations_by_dimension()
        )
    else:
        notes.append(
            "thematic: not scored on the table text, which the thematic annotation was written "
            "from; use --documents or --crawled-only"
        )
    return EvaluationReport(
        mode=mode,
        source=source,
        embedding_model=kit.embedder.model_id,
        n_clusters=len(inputs.keys),
        skipped=inputs.skipped,
        results=results,
        descriptions=descriptions,
        gate=gate,
        notes=notes,
        thematic=thematic,
    )


def thematic_annotations_by_dimension() -> dict[str, dict[str, list[str]]]:
    """The packaged thematic annotation as cluster -> dimension -> categories."""
    return {
        key: {dimension: list(labels) for dimension, labels in annotation.labels.items()}
        for key, annotation in load_thematic_annotations().items()
    }
