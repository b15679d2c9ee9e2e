"""A cumulative-link (proportional-odds) logistic model with learned cut points.

One latent position ``z = x @ coef`` per cluster and ordered cut points ``cuts[0] < cuts[1] < ...``
with ``P(class <= j) = sigmoid(cuts[j] - z)``: the textbook model for an ordered outcome, and the
one that matches the paper's scale, where the levels are steps along one direction (more
security orientation) rather than unrelated categories. Class-balanced sample weights and an L2
penalty (``1 / (2C) * |coef|^2``, C fixed in advance) keep 33 examples from running away.

*Unseen levels.* The likelihood knows nothing about a level without examples, so the model
never invents one: an unseen level between two seen ones gets a band of width zero (both its
cut points sit on the cut learnt between its neighbours) and keeps probability 0. Where such a
level comes from is the caller's decision in the domain's terms (models/typology.py: level 2 by
the paper's definition of level 1 as *dedicated* SVI networks). Once reviewers give a level
examples, its cut points are learnt like the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from clusterradar.models.calibration import sigmoid

_EPS = 1e-9


@dataclass(slots=True)
class CumulativeLogit:
    """Ordered classes 0..K-1 (K = ``n_classes``); ``fit`` may see only some of them."""

    n_classes: int
    c: float = 1.0
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cuts: np.ndarray = field(default_factory=lambda: np.zeros(0))  # K - 1 cut points
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    seen: list[int] = field(default_factory=list)

    def fit(self, x: np.ndarray, y: np.ndarray) -> CumulativeLogit:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=int)
        seen = sorted(int(v) for v in np.unique(y))
        if len(seen) < 2:
            raise ValueError("the ordinal model needs examples of at least two levels")
        self.seen = seen
        self.mean = x.mean(axis=0)
        self.scale = np.where(x.std(axis=0) > 1e-6, x.std(axis=0), 1.0)
        xs = (x - self.mean) / self.scale
        compact = np.array([seen.index(int(v)) for v in y])
        m = len(seen)
        counts = np.bincount(compact, minlength=m).astype(float)
        weights = (len(y) / (m * counts))[compact]
        d = xs.shape[1]

        def unpack(params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            coef = params[:d]
            cuts = params[d] + np.concatenate([[0.0], np.cumsum(np.exp(params[d + 1 :]))])
            return coef, cuts

        def loss(params: np.ndarray) -> float:
            coef, cuts = unpack(params)
            z = xs @ coef
            upper = np.append(cuts, np.inf)[compact]
            lower = np.insert(cuts, 0, -np.inf)[compact]
            p = sigmoid(upper - z) - sigmoid(lower - z)
            nll = -np.sum(weights * np.log(np.clip(p, _EPS, 1.0)))
            return float(nll + 0.5 / self.c * np.sum(coef**2))

        start = np.concatenate([np.zeros(d), [-(m - 2) / 2.0], np.zeros(m - 2)])
        result = minimize(loss, start, method="L-BFGS-B")
        coef, learnt = unpack(result.x)
        self.coef = coef / self.scale  # on the raw feature scale: z = (x - mean) @ coef
        self.cuts = self._with_unseen(learnt, seen)
        return self

    def _with_unseen(self, learnt: np.ndarray, seen: list[int]) -> np.ndarray:
        """All K - 1 cut points: learnt ones, repeated across unseen levels (zero-width bands)."""
        cuts: list[float] = []
        for i in range(len(seen) - 1):
            gap = seen[i + 1] - seen[i]  # unseen levels in between: gap - 1
            cuts.extend([float(learnt[i])] * gap)
        # unseen levels below the first / above the last seen one are never predicted
        below = [-np.inf] * seen[0]
        above = [np.inf] * (self.n_classes - 1 - seen[-1])
        return np.array(below + cuts + above, dtype=float)

    def latent(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=float) - self.mean) @ self.coef

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(n, K) class probabilities."""
        z = self.latent(x)[:, None]
        cumulative = sigmoid(self.cuts[None, :] - z)
        upper = np.hstack([cumulative, np.ones((len(z), 1))])
        lower = np.hstack([np.zeros((len(z), 1)), cumulative])
        return np.clip(upper - lower, 0.0, 1.0)

    def to_dict(self) -> dict:
        return {
            "n_classes": self.n_classes,
            "c": self.c,
            "coef": self.coef.tolist(),
            "cuts": [None if not np.isfinite(v) else float(v) for v in self.cuts],
            "cuts_inf": [0 if np.isfinite(v) else int(np.sign(v)) for v in self.cuts],
            "mean": self.mean.tolist(),
            "seen": self.seen,
        }

    @classmethod
    def from_dict(cls, data: dict) -> CumulativeLogit:
        cuts = [
            float(v) if v is not None else float(sign) * np.inf
            for v, sign in zip(data["cuts"], data["cuts_inf"], strict=True)
        ]
        return cls(
            n_classes=int(data["n_classes"]),
            c=float(data["c"]),
            coef=np.asarray(data["coef"], dtype=float),
            cuts=np.asarray(cuts, dtype=float),
            mean=np.asarray(data["mean"], dtype=float),
            scale=np.ones(len(data["mean"])),
            seen=[int(v) for v in data["seen"]],
        )
