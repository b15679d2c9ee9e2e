"""Thematic dimensions (function_logic, application_fields, svi_domains; multi-label).

No cluster of the paper carries thematic labels, so each category starts from its taxonomy
description (prototype similarity of the cluster's best passages) plus a bonus when lexicon
terms of a matching category fire. Reviewed labels, once they exist, add a prototype of their
own (the mean focus vector of the clusters reviewers gave that label) and fit the one free
parameter, the sigmoid's centre, by maximum likelihood; until then the centre is the median
raw score of the labelled clusters, so a score of 0.5 means "as typical as an average
labelled cluster" — an honest relative score, not a calibrated probability (README, Models).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from clusterradar.models.calibration import sigmoid
from clusterradar.models.features import LEXICON_CATEGORIES, ClusterFeatures
from clusterradar.models.prototypes import Prototype, unit

SIGMOID_SCALE = 0.03
LEXICON_WEIGHT = 0.05
TOP_K = 3
MIN_REVIEWED = 3  # positives per category before a reviewed-label prototype is trusted
# Which lexicon categories speak for which thematic category.
LEXICON_SUPPORT: dict[str, tuple[str, ...]] = {
    "protection_defence": ("defence", "procurement", "company", "cyber"),
    "supply_maintenance": ("kritis",),
    "recovery_robustness": ("civil_protection", "kritis"),
    "transformation_future": ("dual_use",),
    "cybersecurity": ("cyber",),
    "aerospace_space_defence": ("space", "defence"),
    "maritime_security": ("maritime",),
    "land_defence_technology": ("defence", "company", "procurement"),
    "civil_security_disaster_protection": ("civil_protection", "security_research"),
    "border_police_kritis_logistics": ("police_border", "kritis"),
    "digital_sovereignty": ("cyber",),
    "public_safety_civil_protection": ("civil_protection", "police_border", "security_research"),
}


@dataclass(slots=True)
class ThematicScorer:
    """Per dimension: prototypes, optional reviewed-label prototypes, and sigmoid centres."""

    prototypes: dict[str, list[Prototype]]
    reviewed_vectors: dict[str, np.ndarray] = field(
        default_factory=dict
    )  # category key -> unit vector
    centres: dict[str, float] = field(default_factory=dict)  # dimension -> sigmoid centre

    def raw_scores(self, dimension: str, feature: ClusterFeatures) -> dict[str, float]:
        """Top-3 mean passage similarity per category (+ lexicon bonus, + reviewed prototype)."""
        out = {}
        for proto in self.prototypes[dimension]:
            sims = feature.embeddings @ proto.vector
            k = min(TOP_K, len(sims))
            score = float(np.sort(sims)[-k:].mean())
            if proto.key in self.reviewed_vectors:
                score = max(score, float(feature.focus @ self.reviewed_vectors[proto.key]))
            support = LEXICON_SUPPORT.get(proto.key, ())
            bonus = sum(float(feature.lexicon[LEXICON_CATEGORIES.index(c)]) for c in support)
            out[proto.key] = score + LEXICON_WEIGHT * min(1.0, bonus)
        return out

    def scores(self, dimension: str, feature: ClusterFeatures) -> dict[str, float]:
        centre = self.centres.get(dimension, 0.0)
        return {
            k: float(sigmoid((v - centre) / SIGMOID_SCALE))
            for k, v in self.raw_scores(dimension, feature).items()
        }

    def fit(
        self,
        features: list[ClusterFeatures],
        reviewed: dict[str, dict[str, list[str]]] | None = None,
    ) -> ThematicScorer:
        """`reviewed[dimension][cluster_key]` = labels reviewers accepted for that cluster."""
        reviewed = reviewed or {}
        by_key = {f.cluster_key: f for f in features}
        for dimension, protos in self.prototypes.items():
            labels_of = reviewed.get(dimension, {})
            for proto in protos:
                members = [
                    by_key[c]
                    for c, labels in labels_of.items()
                    if proto.key in labels and c in by_key
                ]
                if len(members) >= MIN_REVIEWED:
                    self.reviewed_vectors[proto.key] = unit(
                        np.mean([m.focus for m in members], axis=0)
                    )
            raw = [self.raw_scores(dimension, f) for f in features]
            pairs = [
                (value, key in labels_of.get(f.cluster_key, []))
                for f, row in zip(features, raw, strict=True)
                for key, value in row.items()
                if f.cluster_key in labels_of
            ]
            if len({y for _, y in pairs}) == 2:
                self.centres[dimension] = _fit_centre(pairs)
            else:
                values = [v for row in raw for v in row.values()]
                self.centres[dimension] = float(np.median(values)) if values else 0.0
        return self

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = {f"thematic_reviewed__{k}": v for k, v in self.reviewed_vectors.items()}
        return arrays, {"centres": self.centres}

    @classmethod
    def from_arrays(
        cls, prototypes: dict[str, list[Prototype]], arrays: dict[str, np.ndarray], params: dict
    ):
        reviewed = {
            name.removeprefix("thematic_reviewed__"): np.asarray(value, dtype=np.float32)
            for name, value in arrays.items()
            if name.startswith("thematic_reviewed__")
        }
        return cls(
            prototypes=prototypes, reviewed_vectors=reviewed, centres=dict(params["centres"])
        )


def _fit_centre(pairs: list[tuple[float, bool]]) -> float:
    """Sigmoid centre maximising the likelihood of reviewed yes/no labels (grid search)."""
    values = np.array([v for v, _ in pairs])
    targets = np.array([1.0 if y else 0.0 for _, y in pairs])
    best, best_nll = float(np.median(values)), np.inf
    for centre in np.linspace(values.min() - 0.1, values.max() + 0.1, 201):
        p = np.clip(sigmoid((values - centre) / SIGMOID_SCALE), 1e-9, 1 - 1e-9)
        nll = -np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p))
        if nll < best_nll:
            best, best_nll = float(centre), nll
    return best
