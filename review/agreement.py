"""Agreement between reviewers: how often two reviewers who decided the same suggestion agreed.

Two decisions agree when they take the same action and, for an override, choose the same labels
(an accept of one suggestion always means the same label). Each reviewer's first decision on a
suggestion counts. Pure functions over decision rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from clusterradar.warehouse.reviews import ReviewDecision


@dataclass(slots=True)
class PairAgreement:
    """Agreement of one reviewer pair (names in alphabetical order)."""

    reviewer_a: str
    reviewer_b: str
    shared: int
    agreed: int

    @property
    def rate(self) -> float:
        return self.agreed / self.shared if self.shared else 0.0


def decisions_agree(first: ReviewDecision, second: ReviewDecision) -> bool:
    if first.action != second.action:
        return False
    if first.action == "override":
        return sorted(first.labels) == sorted(second.labels)
    return True


def pair_agreement(decisions: Iterable[ReviewDecision]) -> list[PairAgreement]:
    """Agreement per reviewer pair over the suggestions both decided, most shared first."""
    first_by: dict[str, dict[str, ReviewDecision]] = {}
    for decision in sorted(decisions, key=lambda d: (d.decided_at, d.decision_id)):
        if decision.suggestion_id is None:
            continue
        first_by.setdefault(decision.suggestion_id, {}).setdefault(decision.reviewer, decision)
    pairs: dict[tuple[str, str], PairAgreement] = {}
    for by_reviewer in first_by.values():
        for a, b in combinations(sorted(by_reviewer), 2):
            pair = pairs.setdefault((a, b), PairAgreement(a, b, 0, 0))
            pair.shared += 1
            pair.agreed += decisions_agree(by_reviewer[a], by_reviewer[b])
    return sorted(pairs.values(), key=lambda p: (-p.shared, p.reviewer_a, p.reviewer_b))
