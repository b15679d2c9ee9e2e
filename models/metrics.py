"""Evaluation metrics for the ordinal intensity classifier, as pure functions.

With 33 labelled clusters every number needs an interval: proportions get a Wilson interval,
everything else a percentile bootstrap over clusters (seeded, so reports are reproducible).
Labels are passed as hashable keys; `order` gives the ordinal position of each key so that
level-distance metrics (MAE, within-one, quadratic weighted kappa) know the scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as sk


@dataclass(slots=True)
class Interval:
    """A point estimate with a 95% interval."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(slots=True)
class ClassReport:
    """Precision, recall, F1 and support of one class."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    _check(y_true, y_pred)
    return float(sk.accuracy_score(y_true, y_pred)) if y_true else 0.0


def per_class(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> list[ClassReport]:
    """P/R/F1 per label (scikit-learn); a label never predicted has precision 0 (and F1 0),
    never NaN."""
    _check(y_true, y_pred)
    precision, recall, f1, support = sk.precision_recall_fscore_support(
        y_true, y_pred, labels=list(labels), zero_division=0
    )
    return [
        ClassReport(str(label), float(p), float(r), float(f), int(n))
        for label, p, r, f, n in zip(labels, precision, recall, f1, support, strict=True)
    ]


def macro_f1(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> float:
    """scikit-learn's macro F1 over `labels` (default: the labels present in y_true); a label
    never predicted scores 0."""
    _check(y_true, y_pred)
    labels = sorted(set(y_true), key=str) if labels is None else labels
    if not labels or not y_true:
        return 0.0
    return float(sk.f1_score(y_true, y_pred, labels=list(labels), average="macro", zero_division=0))


def confusion_matrix(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> list[list[int]]:
    """Rows: true label, columns: predicted label, in the order of `labels` (scikit-learn);
    pairs with a label outside `labels` are left out."""
    _check(y_true, y_pred)
    if not y_true:
        return [[0] * len(labels) for _ in labels]
    return sk.confusion_matrix(y_true, y_pred, labels=list(labels)).tolist()


def mean_absolute_level_error(y_true: Sequence, y_pred: Sequence, order: dict) -> float:
    """Mean |level(true) - level(pred)|; every key must have an ordinal position in `order`."""
    _check(y_true, y_pred)
    if not y_true:
        return 0.0
    return float(np.mean([abs(order[t] - order[p]) for t, p in zip(y_true, y_pred, strict=True)]))


def within_one_accuracy(y_true: Sequence, y_pred: Sequence, order: dict) -> float:
    """Share of predictions at most one level from the truth (issue 18's third target)."""
    _check(y_true, y_pred)
    if not y_true:
        return 0.0
    return float(
        np.mean([abs(order[t] - order[p]) <= 1 for t, p in zip(y_true, y_pred, strict=True)])
    )


def quadratic_weighted_kappa(y_true: Sequence, y_pred: Sequence, order: dict) -> float:
    """Cohen's kappa with quadratic weights over the full ordinal scale in `order`.

    1 = perfect agreement, 0 = chance level; 1.0 when both sides are constant and equal.
    """
    _check(y_true, y_pred)
    levels = sorted(set(order.values()))
    pos = {level: i for i, level in enumerate(levels)}
    k = len(levels)
    observed = np.zeros((k, k))
    for t, p in zip(y_true, y_pred, strict=True):
        observed[pos[order[t]], pos[order[p]]] += 1
    n = observed.sum()
    if n == 0:
        return 0.0
    weights = np.array([[(i - j) ** 2 for j in range(k)] for i in range(k)], dtype=float)
    weights /= max((k - 1) ** 2, 1)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    denominator = float((weights * expected).sum())
    if denominator == 0.0:
        return 1.0 if float((weights * observed).sum()) == 0.0 else 0.0
    return float(1.0 - (weights * observed).sum() / denominator)


def brier_score(y_true: Sequence, probabilities: Sequence[dict]) -> float:
    """Multi-class Brier score: mean over examples of sum_k (p_k - [y = k])^2 (0 best, 2 worst).

    Each element of `probabilities` maps label -> probability; missing labels count as 0.
    """
    if len(y_true) != len(probabilities):
        raise ValueError("y_true and probabilities differ in length")
    if not y_true:
        return 0.0
    total = 0.0
    for truth, probs in zip(y_true, probabilities, strict=True):
        labels = set(probs) | {truth}
        total += sum(
            (probs.get(label, 0.0) - (1.0 if label == truth else 0.0)) ** 2 for label in labels
        )
    return total / len(y_true)


def coverage_at_precision(
    y_true: Sequence, y_pred: Sequence, confidence: Sequence[float], target: float = 0.9
) -> tuple[float, float | None]:
    """Largest share of examples whose top suggestion can be trusted at >= `target` precision.

    Examples are sorted by confidence (highest first); the answer is the largest prefix whose
    accuracy is >= target, together with the confidence threshold of that prefix (None when no
    prefix qualifies; coverage 0).
    """
    _check(y_true, y_pred)
    if len(confidence) != len(y_true):
        raise ValueError("confidence differs in length")
    order = sorted(range(len(y_true)), key=lambda i: -confidence[i])
    correct = 0
    best, threshold = 0.0, None
    for rank, i in enumerate(order, start=1):
        correct += y_true[i] == y_pred[i]
        # Only cut between distinct confidence values: ties must be kept or dropped together.
        if rank < len(order) and confidence[order[rank]] == confidence[i]:
            continue
        if correct / rank >= target:
            best, threshold = rank / len(y_true), float(confidence[i])
    return best, threshold


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> Interval:
    """Wilson score interval for a proportion (well-behaved for small n and p near 0 or 1)."""
    if n == 0:
        return Interval(0.0, 0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_interval(
    statistic: Callable[[list[int]], float], n: int, *, resamples: int = 2000, seed: int = 13
) -> tuple[float, float]:
    """Percentile 95% interval of `statistic(indices)` over resamples of range(n)."""
    if n == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        indices = rng.integers(0, n, size=n).tolist()
        values.append(statistic(indices))
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """ROC-AUC (scikit-learn): probability a random positive outranks a random negative (ties
    count 1/2)."""
    if len(set(labels)) < 2:
        raise ValueError("ROC-AUC needs at least one positive and one negative example")
    return float(sk.roc_auc_score(list(labels), list(scores)))


def _check(y_true: Sequence, y_pred: Sequence) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items, y_pred {len(y_pred)}")
