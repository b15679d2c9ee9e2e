"""The whole classifier as one object: prototypes, intensity model, gate and thematic scorer,
fitted from labelled clusters' passages, turning a cluster's passages into ranked suggestions
with evidence. Pure (no warehouse): train.py, evaluate.py and predict.py all go through here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from clusterradar.labels import NO_SVI_RELEVANCE
from clusterradar.models.axes import (
    FAMILY_LABEL_DE,
    SECURITY_PART_LABEL_DE,
    AxisScores,
    WeightedTerm,
)
from clusterradar.models.features import ClusterFeatures, ClusterMeta, cluster_features
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
from clusterradar.models.typology import OUTCOMES, TypologyExample, TypologyModel, axis_vector
from clusterradar.texts import current_language, label_any, names, text
from clusterradar.warehouse.records import Evidence, Suggestion

LEVELS = (1, 2, 3, 4, 5)

# On the axis from "primarily security" (1) to "civil base technology" (5), no SVI relevance
# at all lies beyond the civil end.
NO_SVI_POSITION = 6.0


@dataclass(slots=True)
class ClusterSuggestions:
    cluster_key: str
    n_passages: int
    expected_level: float  # probability-weighted level 1..5, ignoring the gate
    orientation: float  # the same axis with no_svi_relevance as position 6 (beyond level 5)
    gate_score: float  # relevance 1 - (1 - T)(1 - S) the gate reads
    suggestions: list[Suggestion]
    axes: AxisScores | None = None  # technology potential and security orientation
    # the top passages of each axis (technology, security), ranked, as classify stores them
    axis_evidence: tuple[tuple[Evidence, ...], tuple[Evidence, ...]] = ((), ())

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
        svi_terms: dict[str, WeightedTerm] | None = None,
        technology_terms: dict[str, WeightedTerm] | None = None,
    ):
        self.prototypes = prototypes
        self.term_categories = term_categories
        self.evidence_per_suggestion = evidence_per_suggestion
        self.svi_terms = dict(svi_terms or {})
        self.technology_terms = dict(technology_terms or {})
        self.typology = TypologyModel()
        self.n_civil = 0  # civil (no_svi_relevance) examples seen in training (see fit)
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
            self.svi_terms,
            self.technology_terms,
        )

    def fit(
        self,
        training: list[TrainingCluster],
        *,
        thematic_only: list[TrainingCluster] = (),  # type: ignore[assignment]
        civil: list[TrainingCluster] = (),  # type: ignore[assignment]
    ) -> ClusterModel:
        """Fit on labelled clusters (levels 1..5); ``thematic_only`` clusters (reviewed
        thematic labels, no level) teach the thematic scorer only; ``civil`` clusters (packaged
        civil examples and reviewed ``no_svi_relevance``) are the gate's negatives and set the
        level-5 floor. All of them change the training-data hash."""
        feats = [self.features(t.key, t.passages, t.meta) for t in training]
        extra = [self.features(t.key, t.passages, t.meta) for t in thematic_only]
        civil_feats = [self.features(t.key, t.passages, t.meta) for t in civil]
        return self.fit_features(training, feats, thematic_only, extra, civil_feats)

    def fit_features(
        self,
        training: list[TrainingCluster],
        feats: list[ClusterFeatures],
        thematic_only: list[TrainingCluster] = (),  # type: ignore[assignment]
        thematic_feats: list[ClusterFeatures] = (),  # type: ignore[assignment]
        civil_feats: list[ClusterFeatures] = (),  # type: ignore[assignment]
    ) -> ClusterModel:
        """Fit on precomputed features (they depend on the prototypes and lexica, not labels)."""
        self.n_civil = len(civil_feats)
        self.typology = TypologyModel().fit(
            [typology_example(f) for f in feats],
            [t.level for t in training],
            [typology_example(f) for f in civil_feats],
        )
        reviewed: dict[str, dict[str, list[str]]] = {}
        for t in [*training, *thematic_only]:
            for dimension, labels in t.thematic.items():
                reviewed.setdefault(dimension, {})[t.key] = labels
        self.thematic.fit([*feats, *thematic_feats], reviewed)
        return self

    # -- prediction ------------------------------------------------------------------------
    def outcome_probabilities(self, feature: ClusterFeatures) -> np.ndarray:
        """P over typology.OUTCOMES: no SVI relevance, levels 5, 4, 3, 2, 1."""
        return self.typology.probabilities(typology_example(feature))

    def level_probabilities(self, feature: ClusterFeatures) -> np.ndarray:
        """P over LEVELS (1..5) given that the cluster is on the scale."""
        return TypologyModel.on_scale(self.outcome_probabilities(feature))

    def predict_level(self, feature: ClusterFeatures) -> int:
        """The most probable level 1..5, ignoring the gate (what the evaluation scores)."""
        return LEVELS[int(np.argmax(self.level_probabilities(feature)))]

    def suggest(
        self, key: str, passages: list, meta: ClusterMeta | None = None
    ) -> ClusterSuggestions:
        """Ranked suggestions with evidence; `meta` (registry name, go-cluster) feeds the
        profile. Thematic suggestions only for clusters the gate keeps on the SVI scale."""
        feature = self.features(key, passages, meta)
        assert feature.axes is not None
        probs = self.outcome_probabilities(feature)
        p_none = float(probs[0])
        levels = TypologyModel.on_scale(probs)
        expected = float(levels @ np.array(LEVELS, dtype=float))
        scores = {self._level_key(level): float(probs[OUTCOMES.index(level)]) for level in LEVELS}
        scores[NO_SVI_RELEVANCE] = p_none
        axis_evidence = self._axis_evidence(feature.axes, passages)
        suggestions = [
            dataclasses.replace(
                s,
                evidence=self._intensity_evidence(
                    s.label_key, feature.axes, axis_evidence, passages
                ),
            )
            for s in self._ranked(INTENSITY, scores)
        ]
        gated = suggestions[0].label_key == NO_SVI_RELEVANCE
        for dimension in THEMATIC_DIMENSIONS if not gated else ():
            suggestions.extend(
                dataclasses.replace(
                    s,
                    evidence=self._thematic_evidence(dimension, s.label_key, feature, passages),
                )
                for s in self._ranked(dimension, self.thematic.scores(dimension, feature))
            )
        return ClusterSuggestions(
            cluster_key=key,
            n_passages=len(passages),
            expected_level=expected,
            orientation=(1 - p_none) * expected + p_none * NO_SVI_POSITION,
            gate_score=feature.axes.relevance,
            suggestions=suggestions,
            axes=feature.axes,
            axis_evidence=tuple(  # type: ignore[arg-type]
                tuple(
                    dataclasses.replace(e, rank=rank)
                    for rank, e in enumerate(items[: self.evidence_per_suggestion], start=1)
                )
                for items in axis_evidence
            ),
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

    def _axis_evidence(self, axes: AxisScores, passages: list) -> tuple[list, list]:
        """(technology, security) evidence of a cluster, in the domain's terms: which
        technology family or security part, the terms found, and on which kind of page."""
        return (
            _evidence_of(
                passages, axes.technology_evidence, text("evidence.axis_technology"), "T",
                axes.technology, FAMILY_LABEL_DE,
            ),
            _evidence_of(
                passages, axes.security_evidence, text("evidence.axis_security"), "S",
                axes.security, SECURITY_PART_LABEL_DE,
            ),
        )  # fmt: skip

    def _intensity_evidence(
        self, label: str, axes: AxisScores, axis_evidence: tuple[list, list], passages: list
    ) -> tuple[Evidence, ...]:
        """Why this level: levels 4 and 5 lead with technology evidence, 3 to 1 with security
        evidence, `no_svi_relevance` with whatever little was found and the gate's numbers."""
        technology, security = axis_evidence
        if label == NO_SVI_RELEVANCE:
            note = text(
                "evidence.gate",
                relevance=axes.relevance,
                threshold=self.typology.gate_threshold,
                technology=axes.technology,
                security=axes.security,
            )
            found = security + technology
            if not found:
                none_found = f"{note}; {text('evidence.no_passage')}"
                return tuple(
                    Evidence(1, p.url, p.snapshot_id, p.text, none_found, 0.0) for p in passages[:1]
                )
            chosen = [
                dataclasses.replace(e, reason=f"{note}; {e.reason}")
                for e in found[: self.evidence_per_suggestion]
            ]
        else:
            level = next(p.level for p in self.prototypes.by_dimension[INTENSITY] if p.key == label)
            first, second = (technology, security) if level in (4, 5) else (security, technology)
            chosen = _interleave(first, second)[: self.evidence_per_suggestion]
        return tuple(dataclasses.replace(e, rank=rank) for rank, e in enumerate(chosen, start=1))

    def _thematic_evidence(
        self, dimension: str, label: str, feature: ClusterFeatures, passages: list
    ) -> tuple[Evidence, ...]:
        proto = next(p for p in self.prototypes.by_dimension[dimension] if p.key == label)
        return self._evidence(feature, passages, proto, support=LEXICON_SUPPORT.get(label, ()))

    def _evidence(
        self, feature: ClusterFeatures, passages: list, proto: Prototype, support
    ) -> tuple[Evidence, ...]:
        """Passages ranked by similarity to the category (nudged by supporting lexicon hits)."""
        sims = feature.embeddings @ proto.vector
        supporting = [
            [t for t in (p.lexicon_terms or []) if self.term_categories.get(t.lower()) in support]
            for p in passages
        ]
        ranking = sims + 0.05 * np.array([min(len(s), 2) for s in supporting])
        label = proto.label_de if current_language() == "de" else label_any(proto.key)
        out = []
        for rank, i in enumerate(
            np.argsort(-ranking, kind="stable")[: self.evidence_per_suggestion], start=1
        ):
            reason = text("evidence.similarity", similarity=sims[i], label=label)
            if supporting[i]:
                terms = ", ".join(dict.fromkeys(supporting[i]))
                reason += "; " + text("evidence.lexicon", terms=terms)
            p = passages[i]
            out.append(Evidence(rank, p.url, p.snapshot_id, p.text, reason, float(sims[i])))
        return tuple(out)

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
            "svi_terms": {k: [v.category, v.weight] for k, v in self.svi_terms.items()},
            "technology_terms": {
                k: [v.category, v.weight] for k, v in self.technology_terms.items()
            },
            "evidence_per_suggestion": self.evidence_per_suggestion,
            "typology": self.typology.to_dict(),
            "n_civil": self.n_civil,
        }
        part_arrays, part_params = self.thematic.to_arrays()
        arrays.update(part_arrays)
        params["thematic"] = part_params
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
            prototypes,
            dict(params["term_categories"]),
            int(params["evidence_per_suggestion"]),
            {k: WeightedTerm(c, float(w)) for k, (c, w) in params["svi_terms"].items()},
            {k: WeightedTerm(c, float(w)) for k, (c, w) in params["technology_terms"].items()},
        )
        model.typology = TypologyModel.from_dict(params["typology"])
        model.n_civil = int(params.get("n_civil", 0))
        model.thematic = ThematicScorer.from_arrays(
            {d: by_dimension[d] for d in THEMATIC_DIMENSIONS}, arrays, params["thematic"]
        )
        return model


def typology_example(feature: ClusterFeatures) -> TypologyExample:
    """What the typology model reads of a cluster's features."""
    if feature.axes is None:
        raise ValueError(f"cluster {feature.cluster_key}: features without axes")
    return TypologyExample(
        feature.axes, axis_vector(feature.axes, feature.dedicated_name, feature.go_cluster)
    )


def _page_label(passage) -> str:
    kind = getattr(passage, "page_kind", None) or "other"
    return names("page_kind").get(kind) or text("page_kind.other")


def _evidence_of(
    passages: list, items: list, axis: str, symbol: str, value: float, labels: dict[str, str]
) -> list[Evidence]:
    """Evidence rows (rank set later) for the axis passages ``items`` (axes.AxisEvidence)."""
    return [
        Evidence(
            0,
            passages[e.passage_index].url,
            passages[e.passage_index].snapshot_id,
            passages[e.passage_index].text,
            text(
                "evidence.axis",
                axis=axis,
                symbol=symbol,
                value=value,
                category=labels.get(e.category, e.category),
                terms=", ".join(e.terms),
                page=_page_label(passages[e.passage_index]),
            ),
            float(e.score),
        )
        for e in items
    ]


def _interleave(first: list, second: list) -> list:
    out = []
    for i in range(max(len(first), len(second))):
        out.extend(x[i] for x in (first, second) if i < len(x))
    return out
