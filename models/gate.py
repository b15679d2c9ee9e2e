"""The "no SVI relevance" gate: an outcome driven by the *absence* of signal, not level 5.

Most registry clusters (food, wood, tourism, creative industries, ...) have nothing to do with
security. Level 5 ("civil base technology with strategic potential") is still on the paper's
scale; `no_svi_relevance` is outside it. The gate asks how close a cluster's best passages come
to anything the labelled SVI clusters say, plus how much the SVI lexicon fires:

    gate score = reference similarity + LEXICON_BONUS * min(1, strongest passage's lexicon score)

where reference similarity is the mean of the cluster's top-3 passage similarities to their
nearest passage among the labelled clusters (never the cluster's own passages). The threshold
needs no civil examples: it is the 5th percentile of the labelled clusters' own leave-one-out
gate scores, i.e. the gate is built to keep ~95% of labelled SVI clusters. One passage that
names Bundeswehr or Rüstung is signal, however short the text: hence the peak, not the mean.
The probability of
"no SVI relevance" is a logistic of the distance below that threshold with a fixed scale;
it is not fitted to negative examples (we have none in training) — see docs/models.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clusterradar.models.calibration import sigmoid
from clusterradar.models.features import ClusterFeatures

REFERENCE_TOP_K = 3
LEXICON_BONUS = 0.2
THRESHOLD_PERCENTILE = 5.0
PROBABILITY_SCALE = 0.03


@dataclass(slots=True)
class GateResult:
    """The gate's view of one cluster; `nearest` indexes reference passages per top passage."""

    score: float
    reference_similarity: float
    lexicon_strength: float
    probability_none: float
    top_passages: list[int]
    nearest_similarity: list[float]


class NoSviGate:
    """Reference passages of the labelled clusters, and the threshold learnt from them."""

    def __init__(self) -> None:
        self.reference: np.ndarray = np.zeros((0, 0), dtype=np.float32)
        self.owners: np.ndarray = np.array([], dtype=object)
        self.threshold: float = 0.0

    def fit(self, features: list[ClusterFeatures]) -> NoSviGate:
        if not features:
            raise ValueError("the gate needs labelled clusters")
        self.reference = np.vstack([f.embeddings for f in features]).astype(np.float32)
        self.owners = np.array(
            [f.cluster_key for f in features for _ in range(f.n_passages)], dtype=object
        )
        loo_scores = [self.evaluate(f).score for f in features]
        self.threshold = float(np.percentile(loo_scores, THRESHOLD_PERCENTILE))
        return self

    def evaluate(self, feature: ClusterFeatures) -> GateResult:
        """Score a cluster against every reference passage except its own."""
        if self.reference.size == 0:
            raise ValueError("gate is not fitted")
        sims = feature.embeddings @ self.reference.T
        own = self.owners == feature.cluster_key
        if own.all():
            best = np.zeros(len(sims))
        else:
            sims[:, own] = -1.0
            best = sims.max(axis=1)
        order = np.argsort(-best, kind="stable")[:REFERENCE_TOP_K]
        reference_similarity = float(best[order].mean())
        strength = float(min(1.0, feature.lexicon_peak))
        score = reference_similarity + LEXICON_BONUS * strength
        probability = float(sigmoid((self.threshold - score) / PROBABILITY_SCALE))
        return GateResult(
            score=score,
            reference_similarity=reference_similarity,
            lexicon_strength=strength,
            probability_none=probability,
            top_passages=[int(i) for i in order],
            nearest_similarity=[float(best[i]) for i in order],
        )

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = {"gate_reference": self.reference, "gate_owners": self.owners.astype(str)}
        return arrays, {"threshold": self.threshold}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params: dict) -> NoSviGate:
        gate = cls()
        gate.reference = np.asarray(arrays["gate_reference"], dtype=np.float32)
        gate.owners = np.asarray(arrays["gate_owners"]).astype(object)
        gate.threshold = float(params["threshold"])
        return gate
