"""One-parameter calibration: temperature scaling of log-scores, fitted out of fold.

With a few dozen labelled clusters isotonic regression would memorise; a single temperature T
(probabilities = softmax(scores / T)) only stretches or sharpens, which is all the data supports.
T is chosen on out-of-fold scores from a cross-validation *inside* the training data, by
minimum negative log-likelihood over a fixed log-spaced grid (deterministic, no optimiser state).
"""

from __future__ import annotations

import numpy as np

TEMPERATURE_GRID = np.exp(np.linspace(np.log(0.05), np.log(20.0), 61))


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of `scores / temperature`; -inf scores get probability 0."""
    scaled = np.asarray(scores, dtype=float) / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, targets: np.ndarray) -> float:
    """Temperature minimising the mean NLL of `targets` (column indices) under softmax(scores/T).

    Returns 1.0 when there is nothing to fit (no rows).
    """
    scores = np.asarray(scores, dtype=float)
    targets = np.asarray(targets, dtype=int)
    if len(scores) == 0:
        return 1.0
    best_t, best_nll = 1.0, np.inf
    for temperature in TEMPERATURE_GRID:
        probs = softmax(scores, float(temperature))
        nll = -np.mean(np.log(np.clip(probs[np.arange(len(targets)), targets], 1e-12, 1.0)))
        if nll < best_nll - 1e-12:
            best_t, best_nll = float(temperature), nll
    return best_t


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))
