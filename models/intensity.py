"""The ordinal intensity classifier (levels 1..5): linear head, prototypes, and their fusion.

Kinds (settings.models.classifier):
- ``majority``: the most frequent training level (baseline).
- ``prototype``: zero-shot, softmax of similarities to the taxonomy's level descriptions.
- ``linear``: class-balanced logistic regression on the cluster's focus embedding plus lexicon
  category densities; it can only predict levels that have examples (1, 3, 4).
- ``profile`` / ``profile_embedding`` (default, with ``_inner_cv``): the same class-balanced
  logistic regression on the cluster's *profile* (is it named for security or defence, is it a
  go-cluster member, lexicon category densities; features.py), alone or appended to the focus
  embedding. Pre-registered in the README (Evaluation, "Pre-registration 2").
- ``ordinal`` (Pre-registration 3): the ordering as information — Frank & Hall's cumulative
  decomposition, one class-balanced binary logistic regression per threshold between consecutive
  seen levels estimating P(level > t), on the same features as ``profile_embedding``.
- ``nested`` (Pre-registration 3): leave-one-out *inside the training clusters* picks one of
  ``profile_embedding``, ``ordinal``, ``profile`` (C=1 each); the pick is then fitted on all of
  them. The choice between heads is thereby made by inner cross-validation, never by us on the
  reported folds; the artefact records which head was picked (``chosen["kind"]``).
- ``fusion``: the linear head's log-probabilities fused with the prototype
  log-probabilities, ``(1 - w) * log p_linear + w * log p_proto``. Levels without examples get a
  linear-head probability by *ordinal interpolation* — an unseen level between two seen ones
  is as plausible as their mean, one beyond the end as half its neighbour — so a cluster torn
  between levels 1 and 3 whose text matches the level-2 description can land on level 2.

Every kind ends in one temperature (calibration.py) fitted on out-of-fold scores inside the
training data. Hyperparameters are fixed (C=1, w=0.3, tau=0.05) unless ``select="inner_cv"``,
which picks C (and w for fusion) by leave-one-out *inside* the training clusters only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from clusterradar.models.calibration import fit_temperature, sigmoid, softmax
from clusterradar.models.features import ClusterFeatures

LEVELS = (1, 2, 3, 4, 5)
KINDS = (
    "majority",
    "prototype",
    "linear",
    "fusion",
    "profile",
    "profile_embedding",
    "ordinal",
    "nested",
)
# Kinds whose scores come from the logistic-regression head alone (no prototype fusion).
HEAD_KINDS = ("linear", "profile", "profile_embedding", "ordinal")
# The heads `nested` chooses between, in tie-break order (Pre-registration 3).
NESTED_CANDIDATES = ("profile_embedding", "ordinal", "profile")
C_GRID = (0.1, 1.0, 10.0)
WEIGHT_GRID = (0.0, 0.3, 0.6)
_EPS = 1e-6


@dataclass(slots=True)
class IntensityConfig:
    """Hyperparameters, fixed in advance (see the README, Evaluation)."""

    kind: str = "fusion"
    c: float = 1.0
    weight: float = 0.3
    tau: float = 0.05
    lexicon_scale: float = (
        0.0  # pre-registered: embeddings only; lexicon feeds gate, thematic, evidence
    )
    select: str = "fixed"  # 'fixed' | 'inner_cv' ('nested' kinds choose their head instead)
    calibration_folds: int = 5
    seed: int = 13

    def as_dict(self) -> dict:
        return asdict(self)


def design_matrix(
    features: list[ClusterFeatures], lexicon_scale: float, kind: str = "linear"
) -> np.ndarray:
    """Linear-head input of `kind`: ``profile`` = the 13-value profile (dedicated name,
    go-cluster, lexicon densities); ``profile_embedding`` and ``ordinal`` = focus embedding ++
    profile; otherwise focus embedding ++ scaled lexicon category densities."""
    if kind in ("profile", "profile_embedding", "ordinal"):
        missing = [f.cluster_key for f in features if f.profile is None]
        if missing:
            raise ValueError(f"no profile features for {', '.join(missing[:3])}")
        if kind == "profile":
            return np.stack([np.asarray(f.profile, dtype=float) for f in features])
        return np.stack([np.concatenate([f.focus, f.profile]) for f in features])
    return np.stack([np.concatenate([f.focus, f.lexicon * lexicon_scale]) for f in features])


def level_similarities(features: list[ClusterFeatures]) -> np.ndarray:
    return np.stack([f.level_similarity for f in features]).astype(float)


class IntensityModel:
    """Fit on labelled clusters' features; scores all five levels."""

    def __init__(self, config: IntensityConfig | None = None):
        # a copy: inner CV and `nested` rewrite their own config, never the caller's
        self.config = dataclasses.replace(config) if config else IntensityConfig()
        if self.config.kind not in KINDS:
            raise ValueError(f"unknown classifier kind {self.config.kind!r}; choose one of {KINDS}")
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None
        self.classes: np.ndarray = np.array([], dtype=int)
        self.priors: np.ndarray = np.full(len(LEVELS), 1.0 / len(LEVELS))
        self.temperature: float = 1.0
        self.chosen: dict[str, float] = {}

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, features: list[ClusterFeatures], levels: list[int]) -> IntensityModel:
        y = np.asarray(levels, dtype=int)
        if len(y) == 0:
            raise ValueError("no labelled clusters to train on")
        if self.config.kind == "nested":
            self._select_head(features, y)
        if (
            self.config.select == "inner_cv"
            and self.config.kind in ("fusion", *HEAD_KINDS)
            and len(y) >= 6
        ):
            self._select_inner_cv(features, y)
        self._fit_core(features, y)
        self.temperature = self._fit_calibration(features, y)
        return self

    def _fit_core(self, features: list[ClusterFeatures], y: np.ndarray) -> None:
        counts = np.array([(y == level).sum() for level in LEVELS], dtype=float)
        self.priors = (counts + _EPS) / (counts.sum() + _EPS * len(LEVELS))
        self.classes = np.unique(y)
        if self.config.kind == "ordinal" and len(self.classes) >= 2:
            self._fit_thresholds(features, y)
        elif self.config.kind in ("fusion", *HEAD_KINDS) and len(self.classes) >= 2:
            head = self._new_head()
            head.fit(self._design(features), y)
            coef, intercept = head.coef_, head.intercept_
            if len(self.classes) == 2:  # binary LR keeps one row; make it symmetric
                coef = np.vstack([-coef[0] / 2, coef[0] / 2])
                intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
            self.coef, self.intercept = coef.astype(np.float64), intercept.astype(np.float64)
        else:
            self.coef, self.intercept = None, None

    def _new_head(self) -> LogisticRegression:
        """The class-balanced logistic regression every head kind fits (multinomial or binary)."""
        return LogisticRegression(
            C=self.config.c, class_weight="balanced", max_iter=5000, random_state=self.config.seed
        )

    def _fit_thresholds(self, features: list[ClusterFeatures], y: np.ndarray) -> None:
        """One balanced binary LR per threshold t between consecutive seen levels: P(y > t)."""
        design = self._design(features)
        coefs, intercepts = [], []
        for threshold in self.classes[:-1]:
            head = self._new_head()
            head.fit(design, (y > threshold).astype(int))
            coefs.append(head.coef_[0])
            intercepts.append(head.intercept_[0])
        self.coef = np.stack(coefs).astype(np.float64)
        self.intercept = np.asarray(intercepts, dtype=np.float64)

    def _select_head(self, features: list[ClusterFeatures], y: np.ndarray) -> None:
        """`nested`: pick the head by leave-one-out inside the training clusters (accuracy, then
        macro-F1, then NESTED_CANDIDATES order)."""
        if len(y) < 6 or len(np.unique(y)) < 2:
            chosen = NESTED_CANDIDATES[0]
        else:
            best: tuple | None = None
            for rank, kind in enumerate(NESTED_CANDIDATES):
                cfg = IntensityConfig(**{**self.config.as_dict(), "kind": kind, "select": "fixed"})
                preds = _loo_predictions(cfg, features, y)
                key = (float(np.mean(preds == y)), _macro_f1(y, preds), -rank)
                if best is None or key > best[0]:
                    best = (key, kind)
            assert best is not None
            chosen = best[1]
        self.config.kind = chosen
        self.config.select = "fixed"
        self.chosen = {**self.chosen, "kind": chosen}

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
            inner = IntensityModel(IntensityConfig(**{**self.config.as_dict(), "select": "fixed"}))
            if self.chosen:
                inner.config.c = self.chosen.get("c", inner.config.c)
                inner.config.weight = self.chosen.get("weight", inner.config.weight)
            inner._fit_core([features[i] for i in np.flatnonzero(train_mask)], y[train_mask])
            scores.append(inner.raw_scores([features[i] for i in test_index]))
            targets.extend(LEVELS.index(level) for level in y[test_index])
        if not scores:
            return 1.0
        return fit_temperature(np.vstack(scores), np.array(targets))

    def _select_inner_cv(self, features: list[ClusterFeatures], y: np.ndarray) -> None:
        """Choose (C, w) by leave-one-out accuracy inside the training clusters (ties: macro-F1,
        then the fixed defaults)."""
        weights = WEIGHT_GRID if self.config.kind == "fusion" else (self.config.weight,)
        best: tuple | None = None
        for c in C_GRID:
            for w in weights:
                cfg = IntensityConfig(
                    **{**self.config.as_dict(), "c": c, "weight": w, "select": "fixed"}
                )
                preds = _loo_predictions(cfg, features, y)
                acc = float(np.mean(np.array(preds) == y))
                f1 = _macro_f1(y, np.array(preds))
                is_default = (c == self.config.c) + (w == self.config.weight)
                key = (acc, f1, is_default)
                if best is None or key > best[0]:
                    best = (key, c, w)
        assert best is not None
        self.config.c, self.config.weight = best[1], best[2]
        self.chosen = {"c": best[1], "weight": best[2]} if len(weights) > 1 else {"c": best[1]}

    # -- scoring ---------------------------------------------------------------------------
    def _design(self, features: list[ClusterFeatures]) -> np.ndarray:
        kind = "linear" if self.config.kind == "fusion" else self.config.kind
        return design_matrix(features, self.config.lexicon_scale, kind)

    def linear_log_proba(self, features: list[ClusterFeatures]) -> np.ndarray:
        """(n, 5) log-probabilities of the linear head with unseen levels interpolated."""
        n = len(features)
        if self.coef is None or self.intercept is None:
            return np.tile(np.log(self.priors), (n, 1))
        logits = self._design(features) @ self.coef.T + self.intercept
        if self.config.kind == "ordinal":
            seen = _cumulative_to_levels(sigmoid(logits))
        else:
            seen = softmax(logits)
        full = np.zeros((n, len(LEVELS)))
        seen_idx = [LEVELS.index(int(c)) for c in self.classes]
        full[:, seen_idx] = seen
        full = _interpolate_unseen(full, seen_idx)
        full = full / full.sum(axis=1, keepdims=True)
        return np.log(np.clip(full, 1e-12, 1.0))

    def prototype_log_proba(self, features: list[ClusterFeatures]) -> np.ndarray:
        return np.log(np.clip(softmax(level_similarities(features) / self.config.tau), 1e-12, 1.0))

    def raw_scores(self, features: list[ClusterFeatures]) -> np.ndarray:
        """Uncalibrated (n, 5) log-scores of the configured kind."""
        kind = self.config.kind
        if kind == "majority":
            return np.tile(np.log(self.priors), (len(features), 1))
        if kind == "prototype":
            return self.prototype_log_proba(features)
        if kind in HEAD_KINDS:
            return self.linear_log_proba(features)
        w = self.config.weight
        return (1 - w) * self.linear_log_proba(features) + w * self.prototype_log_proba(features)

    def predict_proba(self, features: list[ClusterFeatures]) -> np.ndarray:
        """Calibrated (n, 5) probabilities over LEVELS."""
        return softmax(self.raw_scores(features), self.temperature)

    def predict(self, features: list[ClusterFeatures]) -> list[int]:
        return [LEVELS[int(i)] for i in np.argmax(self.raw_scores(features), axis=1)]

    # -- persistence (arrays + JSON; no pickle) --------------------------------------------
    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = {
            "intensity_classes": self.classes.astype(np.int64),
            "intensity_priors": self.priors.astype(np.float64),
        }
        if self.coef is not None and self.intercept is not None:
            arrays["intensity_coef"] = self.coef
            arrays["intensity_intercept"] = self.intercept
        params = {
            "config": self.config.as_dict(),
            "temperature": self.temperature,
            "chosen": self.chosen,
        }
        return arrays, params

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params: dict) -> IntensityModel:
        model = cls(IntensityConfig(**params["config"]))
        model.classes = np.asarray(arrays["intensity_classes"], dtype=int)
        model.priors = np.asarray(arrays["intensity_priors"], dtype=float)
        model.coef = arrays.get("intensity_coef")
        model.intercept = arrays.get("intensity_intercept")
        model.temperature = float(params["temperature"])
        model.chosen = dict(params.get("chosen") or {})
        return model


def _cumulative_to_levels(greater: np.ndarray) -> np.ndarray:
    """(n, T) estimates of P(y > t_k) → (n, T + 1) level probabilities (Frank & Hall): the
    differences of neighbouring thresholds, clipped at 0 where the binary models cross."""
    n, t = greater.shape
    out = np.empty((n, t + 1))
    out[:, 0] = 1.0 - greater[:, 0]
    for k in range(1, t):
        out[:, k] = np.maximum(greater[:, k - 1] - greater[:, k], 0.0)
    out[:, t] = greater[:, t - 1]
    out = np.clip(out, _EPS, None)
    return out / out.sum(axis=1, keepdims=True)


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


def _macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    scores = []
    for level in np.unique(y):
        tp = float(np.sum((y == level) & (pred == level)))
        fp = float(np.sum((y != level) & (pred == level)))
        fn = float(np.sum((y == level) & (pred != level)))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def expected_level(probabilities: np.ndarray) -> np.ndarray:
    """Probability-weighted mean level per row (the ordinal position on the 1..5 axis)."""
    return probabilities @ np.array(LEVELS, dtype=float)
