"""The comparison rows of the evaluation: the previous default and the zero-shot prototypes.

Not the production model (that is models/typology.py on the axes of models/axes.py, decision
record 0004); kept so that every evaluation reports the new default against what it replaced:

- ``prototype``: zero-shot, softmax of similarities to the taxonomy's level descriptions.
- ``profile_embedding`` (the default of decision records 2 and 3, with ``select="inner_cv"``):
  class-balanced logistic regression on the cluster's focus embedding ++ its profile (named for
  security or defence, go-cluster, lexicon category densities; features.py); ``profile`` is the
  profile alone.

Research variants of records 1-3 that lost (majority, linear, fusion, ordinal Frank & Hall,
nested head selection, SetFit) left the code; docs/evaluation.md lists them. Every kind ends in
one temperature (calibration.py) fitted on out-of-fold scores inside the training data;
``select="inner_cv"`` picks C by leave-one-out *inside* the training clusters only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from clusterradar.models.calibration import fit_temperature, softmax
from clusterradar.models.features import ClusterFeatures

LEVELS = (1, 2, 3, 4, 5)
KINDS = ("prototype", "profile", "profile_embedding")
HEAD_KINDS = ("profile", "profile_embedding")  # logistic-regression heads
C_GRID = (0.1, 1.0, 10.0)
_EPS = 1e-6


@dataclass(slots=True)
class IntensityConfig:
    """Hyperparameters of a comparison row, fixed in advance (decision records 2 and 3)."""

    kind: str = "profile_embedding"
    c: float = 1.0
    tau: float = 0.05
    select: str = "fixed"  # 'fixed' | 'inner_cv'
    calibration_folds: int = 5
    seed: int = 13

    def as_dict(self) -> dict:
        return asdict(self)


def design_matrix(features: list[ClusterFeatures], kind: str) -> np.ndarray:
    """Head input of `kind`: ``profile`` = the 13-value profile (dedicated name, go-cluster,
    lexicon densities); ``profile_embedding`` = focus embedding ++ profile."""
    missing = [f.cluster_key for f in features if f.profile is None]
    if missing:
        raise ValueError(f"no profile features for {', '.join(missing[:3])}")
    if kind == "profile":
        return np.stack([np.asarray(f.profile, dtype=float) for f in features])
    return np.stack([np.concatenate([f.focus, f.profile]) for f in features])


def level_similarities(features: list[ClusterFeatures]) -> np.ndarray:
    return np.stack([f.level_similarity for f in features]).astype(float)


class IntensityModel:
    """Fit on labelled clusters' features; scores all five levels."""

    def __init__(self, config: IntensityConfig | None = None):
        # a copy: inner CV rewrites its own config, never the caller's
        self.config = dataclasses.replace(config) if config else IntensityConfig()
        if self.config.kind not in KINDS:
            raise ValueError(f"unknown classifier kind {self.config.kind!r}; choose one of {KINDS}")
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None
        self.classes: np.ndarray = np.array([], dtype=int)
        self.priors: np.ndarray = np.full(len(LEVELS), 1.0 / len(LEVELS))
        self.temperature: float = 1.0
        self.chosen: dict[str, float] = {}

    def fit(self, features: list[ClusterFeatures], levels: list[int]) -> IntensityModel:
        y = np.asarray(levels, dtype=int)
        if len(y) == 0:
            raise ValueError("no labelled clusters to train on")
        if self.config.select == "inner_cv" and self.config.kind in HEAD_KINDS and len(y) >= 6:
            self._select_inner_cv(features, y)
        self._fit_core(features, y)
        self.temperature = self._fit_calibration(features, y)
        return self

    def _fit_core(self, features: list[ClusterFeatures], y: np.ndarray) -> None:
        counts = np.array([(y == level).sum() for level in LEVELS], dtype=float)
        self.priors = (counts + _EPS) / (counts.sum() + _EPS * len(LEVELS))
        self.classes = np.unique(y)
        if self.config.kind in HEAD_KINDS and len(self.classes) >= 2:
            head = LogisticRegression(
                C=self.config.c,
                class_weight="balanced",
                max_iter=5000,
                random_state=self.config.seed,
            )
            head.fit(design_matrix(features, self.config.kind), y)
            coef, intercept = head.coef_, head.intercept_
            if len(self.classes) == 2:  # binary LR keeps one row; make it symmetric
                coef = np.vstack([-coef[0] / 2, coef[0] / 2])
                intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
            self.coef, self.intercept = coef.astype(np.float64), intercept.astype(np.float64)
        else:
            self.coef, self.intercept = None, None

    def _fit_calibration(self, features: list[ClusterFeatures], y: np.ndarray) -> float:
        """Temperature from out-of-fold raw scores (stratified folds inside the training data)."""
        folds = _folds(y, self.config.calibration_folds, self.config.seed)
        if len(folds) < 2:
            return 1.0
        scores, targets = [], []
        for test_index in folds:
            train_mask = np.ones(len(y), dtype=bool)
            train_mask[test_index] = False
            if len(np.unique(y[train_mask])) < 2:
                continue
            inner = IntensityModel(dataclasses.replace(self.config, select="fixed"))
            inner._fit_core([features[i] for i in np.flatnonzero(train_mask)], y[train_mask])
            scores.append(inner.raw_scores([features[i] for i in test_index]))
            targets.extend(LEVELS.index(level) for level in y[test_index])
        if not scores:
            return 1.0
        return fit_temperature(np.vstack(scores), np.array(targets))

    def _select_inner_cv(self, features: list[ClusterFeatures], y: np.ndarray) -> None:
        """Choose C by leave-one-out accuracy inside the training clusters (ties: macro-F1,
        then the fixed default)."""
        best: tuple | None = None
        for c in C_GRID:
            cfg = dataclasses.replace(self.config, c=c, select="fixed")
            preds = _loo_predictions(cfg, features, y)
            key = (
                float(np.mean(preds == y)),
                float(f1_score(y, preds, average="macro", zero_division=0)),
                c == self.config.c,
            )
            if best is None or key > best[0]:
                best = (key, c)
        assert best is not None
        self.config.c = best[1]
        self.chosen = {"c": best[1]}

    # -- scoring ---------------------------------------------------------------------------
    def linear_log_proba(self, features: list[ClusterFeatures]) -> np.ndarray:
        """(n, 5) log-probabilities of the head with unseen levels interpolated."""
        n = len(features)
        if self.coef is None or self.intercept is None:
            return np.tile(np.log(self.priors), (n, 1))
        logits = design_matrix(features, self.config.kind) @ self.coef.T + self.intercept
        full = np.zeros((n, len(LEVELS)))
        seen_idx = [LEVELS.index(int(c)) for c in self.classes]
        full[:, seen_idx] = softmax(logits)
        full = _interpolate_unseen(full, seen_idx)
        full = full / full.sum(axis=1, keepdims=True)
        return np.log(np.clip(full, 1e-12, 1.0))

    def prototype_log_proba(self, features: list[ClusterFeatures]) -> np.ndarray:
        return np.log(np.clip(softmax(level_similarities(features) / self.config.tau), 1e-12, 1.0))

    def raw_scores(self, features: list[ClusterFeatures]) -> np.ndarray:
        """Uncalibrated (n, 5) log-scores of the configured kind."""
        if self.config.kind == "prototype":
            return self.prototype_log_proba(features)
        return self.linear_log_proba(features)

    def predict_proba(self, features: list[ClusterFeatures]) -> np.ndarray:
        """Calibrated (n, 5) probabilities over LEVELS."""
        return softmax(self.raw_scores(features), self.temperature)

    def predict(self, features: list[ClusterFeatures]) -> list[int]:
        return [LEVELS[int(i)] for i in np.argmax(self.raw_scores(features), axis=1)]


def _loo_predictions(
    config: IntensityConfig, features: list[ClusterFeatures], y: np.ndarray
) -> np.ndarray:
    """Leave-one-out predictions of a fixed configuration over the given clusters."""
    preds = []
    for i in range(len(y)):
        mask = np.ones(len(y), dtype=bool)
        mask[i] = False
        if len(np.unique(y[mask])) < 2:
            preds.append(int(np.bincount(y[mask]).argmax()))
            continue
        inner = IntensityModel(dataclasses.replace(config))
        inner._fit_core([features[j] for j in np.flatnonzero(mask)], y[mask])
        preds.append(LEVELS[int(np.argmax(inner.raw_scores([features[i]])[0]))])
    return np.array(preds)


def _interpolate_unseen(full: np.ndarray, seen_idx: list[int]) -> np.ndarray:
    """Unseen ordinal levels get the mean of their seen neighbours (half of one at an end)."""
    seen = sorted(seen_idx)
    for j in range(full.shape[1]):
        if j in seen:
            continue
        lower = [s for s in seen if s < j]
        upper = [s for s in seen if s > j]
        if lower and upper:
            full[:, j] = (full[:, lower[-1]] + full[:, upper[0]]) / 2
        elif lower:
            full[:, j] = full[:, lower[-1]] / 2
        elif upper:
            full[:, j] = full[:, upper[0]] / 2
    return full


def _folds(y: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    """Deterministic stratified folds (each class dealt round-robin after a seeded shuffle)."""
    k = max(2, min(k, len(y)))
    rng = np.random.default_rng(seed)
    buckets: list[list[int]] = [[] for _ in range(k)]
    position = 0
    for level in np.unique(y):
        members = np.flatnonzero(y == level)
        rng.shuffle(members)
        for index in members:
            buckets[position % k].append(int(index))
            position += 1
    return [np.array(sorted(b)) for b in buckets if b]
