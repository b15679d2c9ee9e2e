"""The paper's typology as two measured axes: technology potential (T) and security orientation (S).

The paper (Table 1, Table 2, footnote 17) places a cluster on the SVI-/Dual-Use-Intensität scale by
two things its text can show: *what technology* it works on (dual-use-capable or not) and *how
much of its activity* is security or defence work. Security vocabulary alone measures only the
second; photonics, microelectronics, sensor and materials clusters then look civil although the
paper calls their technology "für SVI-/Dual-Use hoch relevant". So a cluster gets two scores in
[0, 1], each from its passages and each with its own evidence:

- **T, technology potential**: the page-weighted share of the cluster's text that is about
  dual-use-capable technology, from the technology lexicon (``labels/data/technology_lexicon.yaml``:
  the paper's four areas, the categories of the EU dual-use regulation 2021/821, quantum, AI,
  robotics/drones, space). The registry's Technologiefelder enter as the cluster's table text.
  ``families`` says *which* technology: the composition of that signal over FAMILIES.
- **S, security orientation**: the page-weighted share of the text that does security or defence
  work, from the SVI lexicon (defence, procurement, SVI companies, dual-use, cyber, KRITIS, civil
  security, police and border, maritime security; not the lexicon's technology words ``space``).
  ``parts`` says which kind of security work: defence, cyber, civil security.

*Share, not mentions.* A passage scores by noisy-OR of its terms' weights (two weak words do
not make a strong one, one strong word is enough for that passage); the cluster's value is the
page-kind-weighted mean over its passages, so a working-group or project page counts twice a
news item or a member list, and one passing mention in thirty passages stays small. The score
is the square root of that share (0.04 of the text → 0.2, a quarter → 0.5, everything → 1), so
small but real shares stay visible while the order is unchanged.

*Context words need company* (decision record 0008). Both lexica keep a context tier: words too
ambiguous to show technology or security work alone (Versorgungssicherheit, Feuerwehr, Drohne,
Keramik, a plain Laser or Sensor a member merely uses). They count only together with other
signals: an axis whose cluster text names no term at or above its tier (CONTEXT_TIER) and
fewer than two distinct context terms has no evidence at all.

Fixed choices (decided before any evaluation, see docs/decisions/0004 and 0008): page-kind
weights below, the square root, top-3 evidence passages per axis, the context tiers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# How much a passage counts by the kind of page it comes from: what a cluster *does* shows in
# its working groups, projects and topic pages; news and member lists mention things in passing.
PAGE_KIND_WEIGHT: dict[str, float] = {
    "groups": 2.0,
    "projects": 2.0,
    "topics": 1.0,
    "about": 1.0,
    "home": 1.0,
    "table": 1.0,
    "other": 0.8,
    "document": 0.8,
    "news": 0.5,
    "members": 0.5,
}
DEFAULT_PAGE_WEIGHT = 0.8

# Technology lexicon categories → the families the model distinguishes. The paper's level-3
# clusters are mostly cyber/IT security, geo-information, aerospace with defence and maritime,
# its level-4 clusters photonics, materials, microelectronics and civil aviation: the families
# keep those apart without guessing which is which (the ordinal model learns the weights).
TECHNOLOGY_FAMILY: dict[str, str] = {
    "cyber_security": "cyber_it",
    "telecommunications": "cyber_it",
    "microelectronics": "electronics",
    "embedded_systems": "electronics",
    "sensors": "sensors_photonics",
    "photonics": "sensors_photonics",
    "quantum": "sensors_photonics",
    "aerospace": "aerospace_space",
    "space": "aerospace_space",
    "maritime": "maritime",
    "navigation_geo": "geo_navigation",
    "materials": "materials",
    "artificial_intelligence": "ai_robotics",
    "robotics_unmanned": "ai_robotics",
}
FAMILIES = (
    "cyber_it",
    "electronics",
    "sensors_photonics",
    "aerospace_space",
    "maritime",
    "geo_navigation",
    "materials",
    "ai_robotics",
)
FAMILY_LABEL_DE = {
    "cyber_it": "IT-/Cybersicherheit und Kommunikation",
    "electronics": "Mikroelektronik und eingebettete Systeme",
    "sensors_photonics": "Sensorik, Photonik und Quantentechnologie",
    "aerospace_space": "Luft- und Raumfahrt",
    "maritime": "Maritime Technologien",
    "geo_navigation": "Geoinformation und Navigation",
    "materials": "Werkstoffe und Leichtbau",
    "ai_robotics": "KI, Robotik und unbemannte Systeme",
}

# SVI lexicon categories → the kind of security work. The lexicon's ``space`` category (Raumfahrt,
# Satellit, Luftfahrt) names technology, not security work: it belongs to T, not S.
SECURITY_PART: dict[str, str] = {
    "defence": "defence",
    "procurement": "defence",
    "company": "defence",
    "dual_use": "defence",
    "cyber": "cyber",
    "security_research": "civil_security",
    "kritis": "civil_security",
    "civil_protection": "civil_security",
    "police_border": "civil_security",
    "maritime": "civil_security",
}
SECURITY_PARTS = ("defence", "cyber", "civil_security")
SECURITY_PART_LABEL_DE = {
    "defence": "Verteidigung und Rüstung",
    "cyber": "Cybersicherheit",
    "civil_security": "Zivile Sicherheit und KRITIS",
}
EVIDENCE_TOP_K = 3
# Decision record 0008: each lexicon's own context tier ("only counts together with other
# signals"): technology lexicon 0.2-0.4, SVI lexicon 0.2-0.5. A term at or above the tier counts
# alone; below it, a cluster needs a second distinct term on the same axis.
CONTEXT_TIER = {"technology": 0.5, "security": 0.6}
CONTEXT_COMPANY = 2  # distinct context terms that corroborate each other
# Decision record 0006: what a cluster *does* shows on these page kinds (footnote 17 of the paper:
# "Aktivitäten (z. B. Arbeitsgruppen, FuEuI-Projekten)"); the table row is the paper's own
# summary of that. A page "covers" security when one of its passages scores at least
# COVERAGE_PASSAGE_SCORE (one strong term, or several weak ones).
ACTIVITY_PAGE_KINDS = frozenset({"groups", "projects", "topics", "about", "table"})
COVERAGE_PASSAGE_SCORE = 0.5


@dataclass(slots=True, frozen=True)
class WeightedTerm:
    """A lexicon term as the axes read it: its category and weight in (0, 1]."""

    category: str
    weight: float


@dataclass(slots=True)
class AxisEvidence:
    """A passage that moves an axis: its index in the cluster's passages, score and terms."""

    passage_index: int
    score: float
    terms: list[str]
    category: str  # the family (T) or part (S) its strongest term belongs to


@dataclass(slots=True)
class AxisScores:
    """The two axes of one cluster, with what they are made of and the passages behind them."""

    technology: float  # T in [0, 1]
    security: float  # S in [0, 1]
    technology_share: float  # page-weighted share before the square root
    security_share: float
    families: dict[str, float]  # composition of the technology signal over FAMILIES (sums to 1)
    parts: dict[str, float]  # composition of the security signal over SECURITY_PARTS
    technology_evidence: list[AxisEvidence] = field(default_factory=list)
    security_evidence: list[AxisEvidence] = field(default_factory=list)
    # S measured on activity pages only (ACTIVITY_PAGE_KINDS; 0 when the cluster has none)
    security_activity: float = 0.0
    # share of the cluster's pages with at least one security passage (COVERAGE_PASSAGE_SCORE)
    security_coverage: float = 0.0
    # the initiative is named for security or defence as a sector, not for IT security as a
    # technology (features.svi_dedicated_name; the paper's footnote 14: level 1 = dedicated
    # SVI initiatives). Set by features.cluster_features, which knows the name.
    svi_dedicated: bool = False

    @property
    def relevance(self) -> float:
        """1 - (1 - T)(1 - S): low only when *both* axes are low (the no-SVI gate reads it)."""
        return 1.0 - (1.0 - self.technology) * (1.0 - self.security)

    def as_dict(self) -> dict:
        return {
            "technology": round(self.technology, 4),
            "security": round(self.security, 4),
            "relevance": round(self.relevance, 4),
            "families": {k: round(v, 4) for k, v in self.families.items() if v > 0},
            "parts": {k: round(v, 4) for k, v in self.parts.items() if v > 0},
            "security_activity": round(self.security_activity, 4),
            "security_coverage": round(self.security_coverage, 4),
            "svi_dedicated": self.svi_dedicated,
        }


def page_weight(page_kind: str | None) -> float:
    return PAGE_KIND_WEIGHT.get(page_kind or "other", DEFAULT_PAGE_WEIGHT)


def _passage_signal(
    terms: Sequence[str], lexicon: Mapping[str, WeightedTerm], group: Mapping[str, str]
) -> tuple[float, dict[str, float], list[str]]:
    """Noisy-OR of the passage's distinct terms overall and per group; the terms that counted."""
    if not terms:
        return 0.0, {}, []  # most passages hit no lexicon term (registry scale: issue 17)
    miss_all = 1.0
    miss_by: dict[str, float] = {}
    counted = []
    for term in dict.fromkeys(t.lower() for t in terms):
        entry = lexicon.get(term)
        if entry is None or entry.category not in group:
            continue
        key = group[entry.category]
        miss_all *= 1.0 - entry.weight
        miss_by[key] = miss_by.get(key, 1.0) * (1.0 - entry.weight)
        counted.append(term)
    return 1.0 - miss_all, {k: 1.0 - v for k, v in miss_by.items()}, counted


def _axis(
    term_lists: Sequence[Sequence[str]],
    weights: Sequence[float],
    lexicon: Mapping[str, WeightedTerm],
    group: Mapping[str, str],
    keys: Sequence[str],
) -> tuple[float, float, dict[str, float], list[AxisEvidence]]:
    total_weight = float(sum(weights)) or 1.0
    share = 0.0
    by_key = dict.fromkeys(keys, 0.0)
    ranked: list[tuple[float, int, float, list[str], str]] = []
    for index, (terms, weight) in enumerate(zip(term_lists, weights, strict=True)):
        score, per_key, counted = _passage_signal(terms, lexicon, group)
        if score <= 0.0:
            continue
        share += weight * score
        for key, value in per_key.items():
            by_key[key] += weight * value
        strongest = max(per_key, key=lambda k: (per_key[k], k))
        shown = list(dict.fromkeys(t for t in terms if t.lower() in counted))
        ranked.append((weight * score, index, score, shown, strongest))
    share /= total_weight
    mass = sum(by_key.values())
    composition = {k: (v / mass if mass > 0 else 0.0) for k, v in by_key.items()}
    ranked.sort(key=lambda r: (-r[0], r[1]))
    evidence = [
        AxisEvidence(passage_index=i, score=s, terms=t, category=c)
        for _, i, s, t, c in ranked[:EVIDENCE_TOP_K]
    ]
    return math.sqrt(min(1.0, share)), share, composition, evidence


def _activity_and_coverage(
    passages: Sequence, svi_lists: Sequence[Sequence[str]], svi_terms: Mapping[str, WeightedTerm]
) -> tuple[float, float]:
    """S on activity pages (square root of their weighted share) and the page coverage of S."""
    activity_sum = activity_weight = 0.0
    pages: dict[str, bool] = {}
    for index, (passage, terms) in enumerate(zip(passages, svi_lists, strict=True)):
        score, _, _ = _passage_signal(terms, svi_terms, SECURITY_PART)
        kind = getattr(passage, "page_kind", None) or "other"
        if kind in ACTIVITY_PAGE_KINDS:
            weight = page_weight(kind)
            activity_sum += weight * score
            activity_weight += weight
        page = getattr(passage, "url", None) or f"{kind}:{getattr(passage, 'snapshot_id', index)}"
        pages[page] = pages.get(page, False) or score >= COVERAGE_PASSAGE_SCORE
    activity = math.sqrt(min(1.0, activity_sum / activity_weight)) if activity_weight else 0.0
    coverage = sum(pages.values()) / len(pages) if pages else 0.0
    return activity, coverage


def corroborated(
    term_lists: Sequence[Sequence[str]],
    lexicon: Mapping[str, WeightedTerm],
    group: Mapping[str, str],
    tier: float,
) -> bool:
    """Does a cluster's text carry evidence on this axis? One term at or above ``tier``, or at
    least CONTEXT_COMPANY distinct context terms (decision record 0008)."""
    distinct = set()
    for terms in term_lists:
        for term in terms:
            entry = lexicon.get(term.lower())
            if entry is None or entry.category not in group:
                continue
            if entry.weight >= tier:
                return True
            distinct.add(term.lower())
    return len(distinct) >= CONTEXT_COMPANY


def measure_axes(
    passages: Sequence,
    svi_terms: Mapping[str, WeightedTerm],
    technology_terms: Mapping[str, WeightedTerm],
) -> AxisScores:
    """T and S of one cluster from its passages (``lexicon_terms``: SVI lexicon hits,
    ``technology_terms``: technology lexicon hits, ``page_kind``). Pure and deterministic."""
    weights = [page_weight(getattr(p, "page_kind", None)) for p in passages]
    tech_lists = [list(getattr(p, "technology_terms", None) or []) for p in passages]
    svi_lists = [list(getattr(p, "lexicon_terms", None) or []) for p in passages]
    if not corroborated(
        tech_lists, technology_terms, TECHNOLOGY_FAMILY, CONTEXT_TIER["technology"]
    ):
        tech_lists = [[] for _ in passages]
    if not corroborated(svi_lists, svi_terms, SECURITY_PART, CONTEXT_TIER["security"]):
        svi_lists = [[] for _ in passages]
    technology, t_share, families, t_evidence = _axis(
        tech_lists, weights, technology_terms, TECHNOLOGY_FAMILY, FAMILIES
    )
    security, s_share, parts, s_evidence = _axis(
        svi_lists, weights, svi_terms, SECURITY_PART, SECURITY_PARTS
    )
    activity, coverage = _activity_and_coverage(passages, svi_lists, svi_terms)
    return AxisScores(
        technology=technology,
        security=security,
        technology_share=t_share,
        security_share=s_share,
        families=families,
        parts=parts,
        technology_evidence=t_evidence,
        security_evidence=s_evidence,
        security_activity=activity,
        security_coverage=coverage,
    )


def weighted_terms(lexicon) -> dict[str, WeightedTerm]:
    """term (lower-cased) → (category, weight) of a loaded pipeline Lexicon."""
    return {t.term.lower(): WeightedTerm(t.category, float(t.weight)) for t in lexicon.terms}
