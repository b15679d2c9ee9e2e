"""SVI-/Dual-Use-Intensität from the two axes: gate, level 5, and an ordinal model for 4 … 1.

The paper's scale read along the axes (models/axes.py), from least to most security:

    no SVI relevance  (T low, S ≈ 0)            the gate
    5 civil base technology (T high, S ≈ 0)     "ohne erkennbaren direkten Sicherheitsbezug"
    4 primarily civil, security-relevant        S small but real
    3 balanced dual use                         S and civil work of similar weight
    2 SVI-dominant with dual-use character      S dominant, civil use still present
    1 primarily security-oriented               dedicated SVI networks

Three parts, one model:

1. **Gate.** ``relevance = 1 - (1 - T)(1 - S)`` is low only when both axes are low, so a cluster
   whose technology is dual-use-capable is never gated out for lack of security words.
   ``P(none) = sigmoid((threshold - relevance) / scale)``; threshold and scale come from a
   class-balanced 1-D logistic regression of relevance between the labelled clusters and the
   civil examples (packaged ``labels/data/civil_examples.yaml`` plus every reviewed
   ``no_svi_relevance``), the threshold clipped to at most MAX_GATE_THRESHOLD: T ≥ 0.5 always
   passes.
2. **Level 5 versus the security scale.** Level 5 ("Zivile Basistechnologien mit strategischem
   Potenzial") means technology with potential but no discernible direct security relation, and
   weaker than the technology the paper calls security-relevant by itself: its level-4 clusters
   (photonics, microelectronics, sensors, aerospace materials) are level 4 even where their
   table row names no security work. So
   ``P(5 | relevant) = sigmoid((floor - S) / FLOOR_SCALE) * sigmoid((t5 - T) / T5_SCALE)``:
   the floor is the S that civil text reaches without any security work (the 95th percentile of
   the civil examples' S), never below MIN_SECURITY_FLOOR (one passing mention in a site stays
   under it); ``t5`` is the T that T5_PERCENTILE percent of the labelled level-4 clusters exceed
   (the percentile rule keeps ~95 % of them at 4). Once reviewers have decided level 5 for
   MIN_REVIEWED_FIT clusters, 1-D logistic regressions of S and of T between them and the
   level-4 clusters set floor and ``t5`` instead.
3. **Levels 4 … 1.** A cumulative-link logistic model (models/ordinal.py) on ORDINAL_FEATURES:
   how much security work and of which kind, how much of it on the pages that show what the
   cluster *does* (working groups, projects, topics, about, the table row: footnote 17's
   "Aktivitäten (z. B. Arbeitsgruppen, FuEuI-Projekten)"), on what share of its pages,
   go-cluster membership, how much technology and which families. Not the name. Its cut points
   are learnt; the paper's level-1 clusters are its top class.
4. **Level 1 by dedication (footnote 14).** Level 1 is "dezidierte regionale
   SVI-Clusterinitiativen und landesweite Netzwerke". A cluster named for security or defence
   *as a sector* (features.svi_dedicated_name: IT-/Cyber-security names are a technology field,
   the paper's area 1, and do not count) that shows security work (S above the floor) is level
   1 with ``q = DEDICATED_SHARE * sigmoid((S - floor) / FLOOR_SCALE)``; the ordinal
   distribution is scaled by ``1 - q``.
5. **Level 2 versus 1.** The paper's table never uses level 2 ("SVI-Dominant mit
   Dual-Use-Charakter"), so no cut point can be learnt for it. The ordinal model's
   security-dominant mass (its top class) is level 1 for a dedicated name and level 2 for a
   network that is not an SVI network — security-dominant work in a network that is not
   dedicated to it is what "dual-use character" means there: ``P(1) = p1 * d``,
   ``P(2) = p1 * (1 - d)`` with d = DEDICATED_SHARE for a dedicated name and 1 - DEDICATED_SHARE
   otherwise. Once reviewers decide level 2 for some clusters, the ordinal model learns its cut
   points and this split is no longer used.

Probabilities: ``P(none) = g``, ``P(5) = (1 - g) f5``, ``P(level) = (1 - g)(1 - f5) p_ordinal``.
Fixed in advance (docs/decisions/0004, 0006): C = 1, the name rule, the activity page kinds,
FLOOR_SCALE, MIN_SECURITY_FLOOR, the percentile, MAX_GATE_THRESHOLD, the fallback threshold when
the logistic fit is degenerate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression

from clusterradar.models.axes import (
    ACTIVITY_PAGE_KINDS,
    CONTEXT_COMPANY,
    CONTEXT_TIER,
    COVERAGE_PASSAGE_SCORE,
    FAMILIES,
    PAGE_KIND_WEIGHT,
    SECURITY_PARTS,
    AxisScores,
)
from clusterradar.models.calibration import sigmoid
from clusterradar.models.ordinal import CumulativeLogit

# On the ordinal part's scale, ordered by security orientation (index 0 = level 4).
ORDINAL_LEVELS = (4, 3, 2, 1)
OUTCOMES = ("none", 5, 4, 3, 2, 1)  # the order of `probabilities`
# What the typology reads of a cluster (decision record 0006). The ordinal model reads all but
# the name (ORDINAL_FEATURES: how much security work, of which kind, on activity pages and
# across the site; go-cluster; how much technology and which families); the name decides level 1
# (footnote 14: level 1 = dedicated SVI initiatives).
ORDINAL_FEATURES = (
    "security",
    *(f"security_{p}" for p in SECURITY_PARTS),
    "security_activity",
    "security_coverage",
    "go_cluster",
    "technology",
    *(f"family_{f}" for f in FAMILIES),
)
AXIS_FEATURES = (*ORDINAL_FEATURES, "dedicated_name")
C = 1.0
MAX_GATE_THRESHOLD = 0.45
FALLBACK_GATE = (0.2, 0.05)  # (threshold, scale) when no civil examples separate
GATE_SCALE_BOUNDS = (0.01, 0.1)
MIN_SECURITY_FLOOR = 0.2
FLOOR_PERCENTILE = 95.0
FLOOR_SCALE = 0.04
DEDICATED_SHARE = 0.9
T5_PERCENTILE = 5.0
T5_SCALE = 0.04
MIN_REVIEWED_FIT = 5


def fixed_choices() -> dict:
    """Every choice fixed in advance (decision records 0004, 0006, 0008), for the training-data
    hash: a change here retrains."""
    return {
        "page_kind_weight": PAGE_KIND_WEIGHT,
        "c": C,
        "max_gate_threshold": MAX_GATE_THRESHOLD,
        "fallback_gate": list(FALLBACK_GATE),
        "gate_scale_bounds": list(GATE_SCALE_BOUNDS),
        "min_security_floor": MIN_SECURITY_FLOOR,
        "floor_percentile": FLOOR_PERCENTILE,
        "floor_scale": FLOOR_SCALE,
        "dedicated_share": DEDICATED_SHARE,
        "t5_percentile": T5_PERCENTILE,
        "t5_scale": T5_SCALE,
        "min_reviewed_fit": MIN_REVIEWED_FIT,
        "features": list(AXIS_FEATURES),
        "activity_page_kinds": sorted(ACTIVITY_PAGE_KINDS),
        "coverage_passage_score": COVERAGE_PASSAGE_SCORE,
        "context_tier": CONTEXT_TIER,
        "context_company": CONTEXT_COMPANY,
    }


def axis_vector(axes: AxisScores, dedicated_name: bool, go_cluster: bool) -> np.ndarray:
    """AXIS_FEATURES of one cluster; ``dedicated_name``: named for security or defence as a
    sector (features.svi_dedicated_name)."""
    return np.array(
        [
            axes.security,
            *(axes.security * axes.parts.get(p, 0.0) for p in SECURITY_PARTS),
            axes.security_activity,
            axes.security_coverage,
            1.0 if go_cluster else 0.0,
            axes.technology,
            *(axes.families.get(f, 0.0) for f in FAMILIES),
            1.0 if dedicated_name else 0.0,
        ],
        dtype=float,
    )


@dataclass(slots=True)
class TypologyExample:
    """What the typology model reads of one cluster."""

    axes: AxisScores
    vector: np.ndarray  # axis_vector(...)

    @property
    def ordinal_input(self) -> np.ndarray:
        return self.vector[: len(ORDINAL_FEATURES)]

    @property
    def dedicated(self) -> bool:
        return bool(self.vector[AXIS_FEATURES.index("dedicated_name")] > 0)


@dataclass(slots=True)
class TypologyModel:
    gate_threshold: float = FALLBACK_GATE[0]
    gate_scale: float = FALLBACK_GATE[1]
    gate_source: str = "fixed fallback"
    security_floor: float = MIN_SECURITY_FLOOR
    floor_source: str = "minimum"
    technology_level4: float = 0.0  # t5: below it (and S below the floor) a cluster is level 5
    level4_source: str = "none"
    ordinal: CumulativeLogit = field(default_factory=lambda: CumulativeLogit(len(ORDINAL_LEVELS)))

    def fit(
        self,
        labelled: list[TypologyExample],
        levels: list[int],
        civil: list[TypologyExample] = (),  # type: ignore[assignment]
    ) -> TypologyModel:
        """``labelled``: clusters with a level 1..5; ``civil``: no_svi_relevance examples."""
        levels_arr = np.asarray(levels, dtype=int)
        on_scale = [i for i, level in enumerate(levels_arr) if level in ORDINAL_LEVELS]
        x = np.stack([labelled[i].ordinal_input for i in on_scale])
        y = np.array([ORDINAL_LEVELS.index(int(levels_arr[i])) for i in on_scale])
        self.ordinal = CumulativeLogit(len(ORDINAL_LEVELS), c=C).fit(x, y)
        self._fit_gate(labelled, civil)
        self._fit_floor(labelled, levels_arr, civil)
        return self

    def _fit_gate(self, labelled: list[TypologyExample], civil: list[TypologyExample]) -> None:
        self.gate_threshold, self.gate_scale = FALLBACK_GATE
        self.gate_source = "fixed fallback (no civil examples)"
        if not civil:
            return
        fitted = fit_threshold(
            np.array([e.axes.relevance for e in labelled]),
            np.array([e.axes.relevance for e in civil]),
        )
        if fitted is None:
            self.gate_source = "fixed fallback (civil examples do not score lower)"
            return
        threshold, scale = fitted
        self.gate_threshold = float(min(threshold, MAX_GATE_THRESHOLD))
        self.gate_scale = float(np.clip(scale, *GATE_SCALE_BOUNDS))
        self.gate_source = f"labelled vs civil examples (n={len(civil)})"

    def _fit_floor(
        self, labelled: list[TypologyExample], levels: np.ndarray, civil: list[TypologyExample]
    ) -> None:
        fives = [e.axes for e, level in zip(labelled, levels, strict=True) if level == 5]
        fours = [e.axes for e, level in zip(labelled, levels, strict=True) if level == 4]
        self.technology_level4, self.level4_source = 0.0, "no level-4 clusters"
        if fours:
            self.technology_level4 = float(
                np.percentile([a.technology for a in fours], T5_PERCENTILE)
            )
            self.level4_source = f"{T5_PERCENTILE:g}th percentile of level-4 clusters' T"
        if len(fives) >= MIN_REVIEWED_FIT and fours:
            fitted_s = fit_threshold(
                np.array([a.security for a in fours]), np.array([a.security for a in fives])
            )
            fitted_t = fit_threshold(
                np.array([a.technology for a in fours]), np.array([a.technology for a in fives])
            )
            if fitted_s is not None and fitted_t is not None:
                self.security_floor, self.technology_level4 = fitted_s[0], fitted_t[0]
                self.floor_source = self.level4_source = (
                    f"reviewed level-5 clusters (n={len(fives)})"
                )
                return
        civil_s = [e.axes.security for e in civil]
        percentile = float(np.percentile(civil_s, FLOOR_PERCENTILE)) if civil_s else 0.0
        self.security_floor = max(MIN_SECURITY_FLOOR, percentile)
        self.floor_source = (
            f"civil examples' {FLOOR_PERCENTILE:g}th percentile (n={len(civil_s)})"
            if percentile > MIN_SECURITY_FLOOR
            else "minimum"
        )

    # -- prediction ------------------------------------------------------------------------
    def probabilities(self, example: TypologyExample) -> np.ndarray:
        """P over OUTCOMES (none, 5, 4, 3, 2, 1)."""
        return self.probabilities_many([example])[0]

    def probabilities_many(self, examples: list[TypologyExample]) -> np.ndarray:
        relevance = np.array([e.axes.relevance for e in examples])
        security = np.array([e.axes.security for e in examples])
        gate = sigmoid((self.gate_threshold - relevance) / self.gate_scale)
        technology = np.array([e.axes.technology for e in examples])
        five = sigmoid((self.security_floor - security) / FLOOR_SCALE) * sigmoid(
            (self.technology_level4 - technology) / T5_SCALE
        )
        vectors = np.stack([e.ordinal_input for e in examples])
        ordinal = self.ordinal.predict_proba(vectors)
        two, one = ORDINAL_LEVELS.index(2), ORDINAL_LEVELS.index(1)
        dedicated = np.array([e.dedicated for e in examples], dtype=bool)
        if two not in self.ordinal.seen:
            share = np.where(dedicated, DEDICATED_SHARE, 1.0 - DEDICATED_SHARE)
            security_dominant = ordinal[:, one] + ordinal[:, two]
            ordinal[:, one] = security_dominant * share
            ordinal[:, two] = security_dominant * (1.0 - share)
        # footnote 14: a dedicated SVI initiative that shows security work is level 1
        shows_work = sigmoid((security - self.security_floor) / FLOOR_SCALE)
        q = dedicated * DEDICATED_SHARE * shows_work
        ordinal = ordinal * (1.0 - q)[:, None]
        ordinal[:, one] += q
        kept = (1 - gate) * (1 - five)
        return np.column_stack([gate, (1 - gate) * five, kept[:, None] * ordinal])

    @staticmethod
    def on_scale(outcome: np.ndarray) -> np.ndarray:
        """P over levels 1..5 given that the cluster is on the scale (the gate left out)."""
        by_level = np.array([outcome[OUTCOMES.index(level)] for level in (1, 2, 3, 4, 5)])
        total = by_level.sum()
        return by_level / total if total > 0 else np.full(5, 0.2)

    def latent(self, example: TypologyExample) -> float:
        """The ordinal part's position (higher = more security orientation)."""
        return float(self.ordinal.latent(example.ordinal_input[None, :])[0])

    def to_dict(self) -> dict:
        return {
            "gate_threshold": self.gate_threshold,
            "gate_scale": self.gate_scale,
            "gate_source": self.gate_source,
            "security_floor": self.security_floor,
            "floor_source": self.floor_source,
            "floor_scale": FLOOR_SCALE,
            "technology_level4": self.technology_level4,
            "level4_source": self.level4_source,
            "features": list(AXIS_FEATURES),
            "ordinal_levels": list(ORDINAL_LEVELS),
            "ordinal": self.ordinal.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> TypologyModel:
        return cls(
            gate_threshold=float(data["gate_threshold"]),
            gate_scale=float(data["gate_scale"]),
            gate_source=str(data["gate_source"]),
            security_floor=float(data["security_floor"]),
            floor_source=str(data["floor_source"]),
            technology_level4=float(data["technology_level4"]),
            level4_source=str(data["level4_source"]),
            ordinal=CumulativeLogit.from_dict(data["ordinal"]),
        )


def fit_threshold(positives: np.ndarray, negatives: np.ndarray) -> tuple[float, float] | None:
    """(threshold, scale) of P(negative) = sigmoid((threshold - score) / scale) from a balanced
    1-D logistic regression; None when the negatives do not score lower than the positives."""
    if len(positives) == 0 or len(negatives) == 0 or np.mean(negatives) >= np.mean(positives):
        return None
    scores = np.concatenate([positives, negatives]).reshape(-1, 1)
    is_negative = np.concatenate([np.zeros(len(positives)), np.ones(len(negatives))]).astype(int)
    head = LogisticRegression(C=100.0, class_weight="balanced", max_iter=5000)
    head.fit(scores, is_negative)
    slope, intercept = float(head.coef_[0, 0]), float(head.intercept_[0])
    if slope >= 0:
        return None
    return float(-intercept / slope), float(-1.0 / slope)
