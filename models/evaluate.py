"""Leave-one-cluster-out evaluation of the intensity classifier and the no-SVI gate.

Every labelled cluster is held out once. Without a documents file the held-out cluster is
predicted from the same text the production model has for it (warehouse passages + table
text). With ``--documents`` each fold trains on everything it would use for the other clusters
(their warehouse text, table text and their documents from the file) and predicts the held-out
cluster from its documents in the file only; labelled clusters absent from the file are skipped
and counted. With ``crawled_only`` (``--crawled-only``) the held-out cluster is predicted from
its crawled pages in the warehouse only (no table text): the measurement after a fresh crawl of
the labelled clusters without writing a documents file; clusters without crawled passages are
skipped and counted. Features depend only on the prototypes, never on labels, so they are
computed once; all fitting (classifier, calibration, inner CV, gate threshold) happens inside
each fold.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clusterradar.errors import InputError, ModelError
from clusterradar.models import metrics as m
from clusterradar.models.cluster_model import ClusterModel, Prototypes
from clusterradar.models.corpus import (
    embed_passages,
    load_text_kit,
    passages_of_documents,
    table_document,
)
from clusterradar.models.features import ClusterFeatures, ClusterMeta
from clusterradar.models.gate import NoSviGate
from clusterradar.models.intensity import LEVELS, IntensityConfig, IntensityModel
from clusterradar.models.training_data import LabelledText, load_labelled
from clusterradar.settings import Settings

ORDER = {level: level for level in LEVELS}
PAPER_LEVELS = (1, 3, 4)  # the levels that have labelled examples


@dataclass(slots=True)
class Variant:
    """One compared model: a name, what it is, and its fixed configuration."""

    name: str
    description: str
    config: IntensityConfig | None  # None: SetFit


def variants(settings: Settings, with_setfit: bool) -> list[Variant]:
    seed = settings.models.seed
    out = [
        Variant(
            "majority",
            "majority class of the training folds",
            IntensityConfig(kind="majority", seed=seed),
        ),
        Variant(
            "prototype",
            "zero-shot: similarity to the taxonomy's level descriptions",
            IntensityConfig(kind="prototype", seed=seed),
        ),
        Variant(
            "linear",
            "(a) embeddings + class-balanced logistic regression, C=1",
            IntensityConfig(kind="linear", seed=seed),
        ),
        Variant(
            "fusion",
            "(c) linear head fused with prototypes, C=1, w=0.3 (pre-registered)",
            IntensityConfig(kind="fusion", seed=seed),
        ),
        Variant(
            "fusion_inner_cv",
            "(c) fusion, C and w chosen by leave-one-out inside each training fold",
            IntensityConfig(kind="fusion", select="inner_cv", seed=seed),
        ),
        Variant(
            "profile",
            "profile (dedicated name, go-cluster, lexicon) + balanced LR, C=1 (pre-reg. 2)",
            IntensityConfig(kind="profile", seed=seed),
        ),
        Variant(
            "profile_embedding",
            "embedding ++ profile + balanced LR, C=1 (pre-registration 2)",
            IntensityConfig(kind="profile_embedding", seed=seed),
        ),
        Variant(
            "profile_embedding_inner_cv",
            "embedding ++ profile, C by leave-one-out inside each training fold (pre-reg. 2)",
            IntensityConfig(kind="profile_embedding", select="inner_cv", seed=seed),
        ),
        Variant(
            "ordinal",
            "Frank & Hall ordinal head on embedding ++ profile, C=1 (pre-registration 3)",
            IntensityConfig(kind="ordinal", seed=seed),
        ),
        Variant(
            "nested",
            "head (profile_embedding | ordinal | profile) chosen by inner LOO (pre-reg. 3)",
            IntensityConfig(kind="nested", seed=seed),
        ),
    ]
    if with_setfit:
        out.append(
            Variant(
                "setfit", "(b) SetFit: contrastive fine-tuning of all-MiniLM-L6-v2 + LR head", None
            )
        )
    return out


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
class GateScores:
    """How well the gate separates labelled SVI clusters from a civil set."""

    n_labelled: int
    n_civil: int
    threshold: float
    roc_auc: float
    roc_auc_reference_only: float
    roc_auc_lexicon_only: float
    precision_none: float
    recall_none: m.Interval
    labelled_kept: m.Interval
    civil_scores: dict[str, float]

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["recall_none"] = self.recall_none.as_dict()
        data["labelled_kept"] = self.labelled_kept.as_dict()
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
    correct = sum(int(a == b) for a, b in zip(y, pred, strict=True))
    within = sum(int(abs(a - b) <= 1) for a, b in zip(y, pred, strict=True))
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
    civil: dict[str, ClusterFeatures]
    model: ClusterModel
    all_levels: dict[str, int]


def resolve_documents(documents: list, labelled: list[LabelledText]) -> list:
    """Rewrite each document's `cluster` to a labelled cluster id (id, or website match)."""
    from clusterradar.urls import match_website

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
    civil_path: Path | None = None,
    crawled_only: bool = False,
) -> tuple[EvaluationInputs, str]:
    from clusterradar.pipeline.documents import read_documents

    if crawled_only and documents_path:
        raise InputError("--crawled-only and --documents exclude each other; choose one")

    kit = load_text_kit(settings)
    labelled, source = load_labelled(settings, kit.embedder.model_id)
    if len(labelled) < 3:
        raise ModelError(f"only {len(labelled)} labelled clusters; leave-one-out needs at least 3")
    documents = (
        resolve_documents(read_documents(documents_path), labelled) if documents_path else []
    )
    civil_documents = read_documents(civil_path) if civil_path else []
    table = [table_document(t.cluster_id, *t.table_text_parts) for t in labelled]
    db = Path(settings.db) if Path(settings.db).exists() else None
    by_table = passages_of_documents(kit, table)
    by_file = passages_of_documents(kit, documents) if documents else {}
    by_civil = (
        passages_of_documents(
            kit, [dataclasses.replace(d, cluster="civil:" + d.cluster) for d in civil_documents]
        )
        if civil_documents
        else {}
    )
    warehouse = {t.cluster_id: t.passages for t in labelled}
    everything = {
        **{f"t:{k}": v for k, v in by_table.items()},
        **{f"f:{k}": v for k, v in by_file.items()},
    }
    everything.update({f"w:{k}": v for k, v in warehouse.items() if v})
    everything.update(by_civil)
    everything = embed_passages(kit, everything, db)
    prototypes = Prototypes.build(kit.embedder.encode)
    model = ClusterModel(prototypes, kit.term_categories, settings.models.evidence_per_suggestion)
    keys, levels, train, test, skipped = [], [], {}, {}, []
    train_texts, test_texts = {}, {}
    for t in labelled:
        meta = ClusterMeta(t.name, t.table_text_parts[2])
        own = everything.get(f"w:{t.cluster_id}", []) + everything.get(f"t:{t.cluster_id}", [])
        from_file = everything.get(f"f:{t.cluster_id}", [])
        crawled = everything.get(f"w:{t.cluster_id}", [])
        if (documents_path and not from_file) or (crawled_only and not crawled):
            skipped.append(t.cluster_id)
            continue
        keys.append(t.cluster_id)
        levels.append(t.level)
        train[t.cluster_id] = model.features(t.cluster_id, own + from_file, meta)
        train_texts[t.cluster_id] = [p.text for p in own + from_file]
        held_out = from_file if documents_path else crawled if crawled_only else own
        test[t.cluster_id] = model.features(t.cluster_id, held_out, meta)
        test_texts[t.cluster_id] = [p.text for p in held_out]
    # Skipped clusters still train the folds of the others (they have warehouse/table text).
    for t in labelled:
        if t.cluster_id in skipped:
            own = everything.get(f"w:{t.cluster_id}", []) + everything.get(f"t:{t.cluster_id}", [])
            meta = ClusterMeta(t.name, t.table_text_parts[2])
            train[t.cluster_id] = model.features(t.cluster_id, own, meta)
            train_texts[t.cluster_id] = [p.text for p in own]
    civil = {k: model.features(k, everything[k]) for k in by_civil}
    all_levels = {t.cluster_id: t.level for t in labelled}
    inputs = EvaluationInputs(
        keys, levels, train, test, test_texts, train_texts, skipped, civil, model, all_levels
    )
    return inputs, source


def _training_keys(inputs: EvaluationInputs, held_out: str) -> list[str]:
    return [k for k in inputs.train if k != held_out]


def run_variant(
    inputs: EvaluationInputs,
    config: IntensityConfig,
    levels_of: dict[str, int],
    fold_choices: Counter | None = None,
    on_fold: Callable[[], object] | None = None,
) -> tuple[list[int], list[np.ndarray]]:
    """Leave-one-out predictions; what inner CV chose per fold is counted into `fold_choices`."""
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


def evaluate_gate(inputs: EvaluationInputs) -> GateScores | None:
    """Labelled clusters (held out, scored against the others) versus the civil set."""
    if not inputs.civil:
        return None
    positives = []
    lexicon_pos = []
    for key in inputs.keys:
        gate = NoSviGate().fit([inputs.train[k] for k in _training_keys(inputs, key)])
        result = gate.evaluate(inputs.test[key])
        positives.append((result.score, result.reference_similarity, result.probability_none))
        lexicon_pos.append(inputs.test[key].lexicon_density)
    gate = NoSviGate().fit(list(inputs.train.values()))
    civil = {k: gate.evaluate(f) for k, f in inputs.civil.items()}
    labels = [1] * len(positives) + [0] * len(civil)
    scores = [p[0] for p in positives] + [r.score for r in civil.values()]
    reference = [p[1] for p in positives] + [r.reference_similarity for r in civil.values()]
    lexicon = lexicon_pos + [inputs.civil[k].lexicon_density for k in civil]
    flagged_civil = sum(1 for r in civil.values() if r.probability_none > 0.5)
    flagged_labelled = sum(1 for p in positives if p[2] > 0.5)
    flagged = flagged_civil + flagged_labelled
    return GateScores(
        n_labelled=len(positives),
        n_civil=len(civil),
        threshold=gate.threshold,
        roc_auc=m.roc_auc(labels, scores),
        roc_auc_reference_only=m.roc_auc(labels, reference),
        roc_auc_lexicon_only=m.roc_auc(labels, lexicon),
        precision_none=flagged_civil / flagged if flagged else 0.0,
        recall_none=m.wilson_interval(flagged_civil, len(civil)),
        labelled_kept=m.wilson_interval(len(positives) - flagged_labelled, len(positives)),
        civil_scores={k.removeprefix("civil:"): round(r.score, 4) for k, r in civil.items()},
    )


def evaluate(
    settings: Settings,
    *,
    documents_path: Path | None = None,
    civil_path: Path | None = None,
    with_setfit: bool = False,
    only: list[str] | None = None,
    progress: bool = False,
    crawled_only: bool = False,
) -> EvaluationReport:
    """Run the whole comparison; `only` restricts the variants by name. `progress` shows one
    bar per model over its leave-one-out folds on stderr (SetFit alone takes ~30 min)."""
    from rich.console import Console
    from rich.progress import Progress

    known = [v.name for v in variants(settings, True)]
    unknown = sorted(set(only or []) - set(known))
    if unknown:
        raise InputError(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    inputs, source = prepare(settings, documents_path, civil_path, crawled_only)
    if len(inputs.keys) < 2:
        where = "crawled pages in the warehouse" if crawled_only else "documents in the file"
        hint = "; crawl and process them first" if crawled_only else ""
        raise ModelError(
            f"only {len(inputs.keys)} labelled clusters have {where}; nothing to evaluate{hint}"
        )
    levels_of = inputs.all_levels
    kit = load_text_kit(settings)
    results, descriptions = {}, {}
    selected = [
        v
        for v in variants(settings, with_setfit or "setfit" in (only or []))
        if not only or v.name in only
    ]
    bars = Progress(console=Console(stderr=True), disable=not progress, transient=True)
    with bars:
        for variant in selected:
            task = bars.add_task(f"leave-one-out: {variant.name}", total=len(inputs.keys))
            choices: Counter = Counter()
            if variant.config is None:
                from clusterradar.models.setfit_head import setfit_loo

                preds, probs = setfit_loo(inputs, levels_of, seed=settings.models.seed)
                bars.update(task, completed=len(inputs.keys))
            else:
                preds, probs = run_variant(
                    inputs,
                    variant.config,
                    levels_of,
                    choices,
                    functools.partial(bars.advance, task),
                )
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
    return EvaluationReport(
        mode=mode,
        source=source,
        embedding_model=kit.embedder.model_id,
        n_clusters=len(inputs.keys),
        skipped=inputs.skipped,
        results=results,
        descriptions=descriptions,
        gate=evaluate_gate(inputs),
    )
