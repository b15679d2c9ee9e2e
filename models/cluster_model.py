"""The whole classifier as one object: prototypes, intensity model, gate and thematic scorer,
fitted from labelled clusters' passages, turning a cluster's passages into ranked suggestions
with evidence. Pure (no warehouse): train.py, evaluate.py and predict.py all go through here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from clusterradar.labels import NO_SVI_RELEVANCE, load_taxonomy
from clusterradar.models.features import ClusterFeatures, ClusterMeta, cluster_features
from clusterradar.models.gate import NoSviGate
from clusterradar.models.intensity import LEVELS, IntensityConfig, IntensityModel
from clusterradar.models.prototypes import (
    INTENSITY,
    SVI_SECTORS_TEXT,
    THEMATIC_DIMENSIONS,
    Prototype,
    build_prototypes,
    prototype_matrix,
    unit,
)
from clusterradar.models.thematic import LEXICON_SUPPORT, ThematicScorer

# On the axis from "primarily security" (1) to "civil base technology" (5), no SVI relevance
# at all lies beyond the civil end.
NO_SVI_POSITION = 6.0


@dataclass(slots=True)
class Evidence:
    """A passage a reviewer can read, and why it supports the suggestion."""

    rank: int
    url: str | None
    snapshot_id: str | None
    passage: str
    reason: str
    score: float


@dataclass(slots=True)
class Suggestion:
    """One label for one cluster in one dimension, with a score in [0, 1] and its rank."""

    dimension: str
    label_key: str
    score: float
    rank: int
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class ClusterSuggestions:
    cluster_key: str
    n_passages: int
    expected_level: float  # probability-weighted level 1..5, ignoring the gate
    orientation: float  # the same axis with no_svi_relevance as position 6 (beyond level 5)
    gate_score: float
    suggestions: list[Suggestion]

    def top(self, dimension: str) -> Suggestion:
        return min((s for s in self.suggestions if s.dimension == dimension), key=lambda s: s.rank)


@dataclass(slots=True)
class TrainingCluster:
    """A labelled cluster: its key, level (1..5), thematic labels and passages."""

    key: str
    level: int
    passages: list
    thematic: dict[str, list[str]] = field(default_factory=dict)
    meta: ClusterMeta | None = None  # registry name and go-cluster status


@dataclass(slots=True)
class Prototypes:
    """Per dimension the category prototypes, plus the SVI reference rows for relevance."""

    by_dimension: dict[str, list[Prototype]]
    svi: np.ndarray  # (m, d): SVI sectors text + intensity levels 1..4

    @classmethod
    def build(cls, encode) -> Prototypes:
        by_dimension = {d: build_prototypes(d, encode) for d in (INTENSITY, *THEMATIC_DIMENSIONS)}
        sectors = unit(np.asarray(encode([SVI_SECTORS_TEXT]), dtype=np.float32)[0])
        levels = [p.vector for p in by_dimension[INTENSITY] if p.level in (1, 2, 3, 4)]
        return cls(by_dimension, np.vstack([sectors, *levels]))

    @property
    def levels(self) -> np.ndarray:
        return prototype_matrix(self.by_dimension[INTENSITY])


class ClusterModel:
    """Fitted classifier; `suggest(key, passages, meta)` is the only thing callers need."""

    def __init__(
        self,
        prototypes: Prototypes,
        term_categories: dict[str, str],
        evidence_per_suggestion: int = 3,
    ):
        self.prototypes = prototypes
        self.term_categories = term_categories
        self.evidence_per_suggestion = evidence_per_suggestion
        self.intensity = IntensityModel()
        self.gate = NoSviGate()
        self.n_civil = 0  # reviewed no_svi_relevance clusters seen in training (see fit)
        self.thematic = ThematicScorer(
            prototypes={d: prototypes.by_dimension[d] for d in THEMATIC_DIMENSIONS}
        )

    def features(
        self, key: str, passages: list, meta: ClusterMeta | None = None
    ) -> ClusterFeatures:
        return cluster_features(
            key,
            passages,
            self.prototypes.svi,
            self.prototypes.levels,
            self.term_categories,
            meta,
        )

    def fit(
        self,
        training: list[TrainingCluster],
        config: IntensityConfig,
        *,
        thematic_only: list[TrainingCluster] = (),  # type: ignore[assignment]
        civil: list[TrainingCluster] = (),  # type: ignore[assignment]
    ) -> ClusterModel:
        """Fit on labelled clusters (levels 1..5); ``thematic_only`` clusters (reviewed
        thematic labels, no level) teach the thematic scorer only. ``civil`` clusters (reviewed
        ``no_svi_relevance``) are the gate's negatives: from gate.MIN_CIVIL_TO_FIT of them on
        they set its threshold and scale (fewer are counted in ``n_civil`` and change no
        score); they change the training-data hash, so a review decision always retrains."""
        feats = [self.features(t.key, t.passages, t.meta) for t in training]
        extra = [self.features(t.key, t.passages, t.meta) for t in thematic_only]
        civil_feats = [self.features(t.key, t.passages, t.meta) for t in civil]
        self.n_civil = len(civil)
        return self.fit_features(training, feats, config, thematic_only, extra, civil_feats)

    def fit_features(
        self,
        training: list[TrainingCluster],
        feats: list[ClusterFeatures],
        config: IntensityConfig,
        thematic_only: list[TrainingCluster] = (),  # type: ignore[assignment]
        thematic_feats: list[ClusterFeatures] = (),  # type: ignore[assignment]
        civil_feats: list[ClusterFeatures] = (),  # type: ignore[assignment]
    ) -> ClusterModel:
        """Fit on precomputed features (they depend on the prototypes only, not on labels)."""
        self.intensity = IntensityModel(config).fit(feats, [t.level for t in training])
        self.gate = NoSviGate().fit(feats, civil_feats)
        reviewed: dict[str, dict[str, list[str]]] = {}
        for t in [*training, *thematic_only]:
            for dimension, labels in t.thematic.items():
                reviewed.setdefault(dimension, {})[t.key] = labels
        self.thematic.fit([*feats, *thematic_feats], reviewed)
        return self

    # -- prediction ------------------------------------------------------------------------
    def level_probabilities(self, feature: ClusterFeatures) -> np.ndarray:
        return self.intensity.predict_proba([feature])[0]

    def suggest(
        self, key: str, passages: list, meta: ClusterMeta | None = None
    ) -> ClusterSuggestions:
        """Ranked suggestions; `meta` (registry name, go-cluster) feeds the profile features."""
        feature = self.features(key, passages, meta)
        probs = self.level_probabilities(feature)
        expected = float(probs @ np.array(LEVELS, dtype=float))
        gate = self.gate.evaluate(feature)
        p_none = gate.probability_none
        scores = {
            self._level_key(level): float((1 - p_none) * p)
            for level, p in zip(LEVELS, probs, strict=True)
        }
        scores[NO_SVI_RELEVANCE] = p_none
        suggestions = self._ranked(INTENSITY, scores)
        for s in suggestions:
            s.evidence = self._intensity_evidence(s.label_key, feature, passages, gate)
        for dimension in THEMATIC_DIMENSIONS:
            ranked = self._ranked(dimension, self.thematic.scores(dimension, feature))
            for s in ranked:
                s.evidence = self._thematic_evidence(dimension, s.label_key, feature, passages)
            suggestions.extend(ranked)
        return ClusterSuggestions(
            cluster_key=key,
            n_passages=len(passages),
            expected_level=expected,
            orientation=(1 - p_none) * expected + p_none * NO_SVI_POSITION,
            gate_score=gate.score,
            suggestions=suggestions,
        )

    def _level_key(self, level: int) -> str:
        return next(p.key for p in self.prototypes.by_dimension[INTENSITY] if p.level == level)

    @staticmethod
    def _ranked(dimension: str, scores: dict[str, float]) -> list[Suggestion]:
        order = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [
            Suggestion(dimension, key, float(np.clip(score, 0.0, 1.0)), rank)
            for rank, (key, score) in enumerate(order, 1)
        ]

    def _intensity_evidence(
        self, label: str, feature: ClusterFeatures, passages: list, gate
    ) -> list[Evidence]:
        if label == NO_SVI_RELEVANCE:
            threshold = self.gate.threshold
            return [
                Evidence(
                    rank=r,
                    url=passages[i].url,
                    snapshot_id=passages[i].snapshot_id,
                    passage=passages[i].text,
                    reason=(
                        f"closest to labelled SVI clusters: similarity {s:.2f} "
                        f"(gate threshold {threshold:.2f})"
                    ),
                    score=float(s),
                )
                for r, (i, s) in enumerate(
                    zip(gate.top_passages, gate.nearest_similarity, strict=True), start=1
                )
            ][: self.evidence_per_suggestion]
        proto = next(p for p in self.prototypes.by_dimension[INTENSITY] if p.key == label)
        return self._evidence(
            feature, passages, proto, support=("defence", "procurement", "company", "dual_use")
        )

    def _thematic_evidence(
        self, dimension: str, label: str, feature: ClusterFeatures, passages: list
    ) -> list[Evidence]:
        proto = next(p for p in self.prototypes.by_dimension[dimension] if p.key == label)
        return self._evidence(feature, passages, proto, support=LEXICON_SUPPORT.get(label, ()))

    def _evidence(
        self, feature: ClusterFeatures, passages: list, proto: Prototype, support
    ) -> list[Evidence]:
        """Passages ranked by similarity to the category (nudged by supporting lexicon hits)."""
        sims = feature.embeddings @ proto.vector
        supporting = [
            [t for t in (p.lexicon_terms or []) if self.term_categories.get(t.lower()) in support]
            for p in passages
        ]
        ranking = sims + 0.05 * np.array([min(len(s), 2) for s in supporting])
        out = []
        for rank, i in enumerate(
            np.argsort(-ranking, kind="stable")[: self.evidence_per_suggestion], start=1
        ):
            reason = f"similarity {sims[i]:.2f} to '{proto.label_de}'"
            if supporting[i]:
                reason += "; lexicon: " + ", ".join(dict.fromkeys(supporting[i]))
            p = passages[i]
            out.append(Evidence(rank, p.url, p.snapshot_id, p.text, reason, float(sims[i])))
        return out

    # -- persistence -----------------------------------------------------------------------
    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays: dict[str, np.ndarray] = {"prototypes_svi": self.prototypes.svi}
        proto_params = {}
        for dimension, protos in self.prototypes.by_dimension.items():
            arrays[f"prototypes__{dimension}"] = prototype_matrix(protos)
            proto_params[dimension] = [
                {"key": p.key, "label_de": p.label_de, "level": p.level, "texts": p.texts}
                for p in protos
            ]
        params: dict = {
            "prototypes": proto_params,
            "term_categories": self.term_categories,
            "evidence_per_suggestion": self.evidence_per_suggestion,
        }
        for name, part in (
            ("intensity", self.intensity),
            ("gate", self.gate),
            ("thematic", self.thematic),
        ):
            part_arrays, part_params = part.to_arrays()
            arrays.update(part_arrays)
            params[name] = part_params
        return arrays, params

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params: dict) -> ClusterModel:
        by_dimension = {}
        for dimension, rows in params["prototypes"].items():
            matrix = np.asarray(arrays[f"prototypes__{dimension}"], dtype=np.float32)
            by_dimension[dimension] = [
                Prototype(
                    dimension, r["key"], r["label_de"], r["level"], list(r["texts"]), matrix[i]
                )
                for i, r in enumerate(rows)
            ]
        prototypes = Prototypes(
            by_dimension, np.asarray(arrays["prototypes_svi"], dtype=np.float32)
        )
        model = cls(
            prototypes, dict(params["term_categories"]), int(params["evidence_per_suggestion"])
        )
        model.intensity = IntensityModel.from_arrays(arrays, params["intensity"])
        model.gate = NoSviGate.from_arrays(arrays, params["gate"])
        model.thematic = ThematicScorer.from_arrays(
            {d: by_dimension[d] for d in THEMATIC_DIMENSIONS}, arrays, params["thematic"]
        )
        return model


def taxonomy_level_keys() -> dict[int, str]:
    """Level number -> intensity key, from the taxonomy."""
    return {
        c.level: c.key
        for c in load_taxonomy().dimension(INTENSITY).categories
        if c.level is not None
    }
