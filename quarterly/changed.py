"""The report's "what changed" rows: one per cluster whose rank-1 suggestion or classification
in force changed from one quarter to the next, with the evidence that is new.

Built from a :class:`~clusterradar.quarterly.diff.QuarterDiff` (the same changes ``clusterradar
diff`` lists), so the report and the diff never disagree about *what* changed; this module adds
the reader's *why*: the score change and the best evidence passage of the new suggestion that
the old suggestion did not already cite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from clusterradar.quarterly.diff import QuarterDiff
from clusterradar.quarters import Quarter
from clusterradar.warehouse import quarter_facts
from clusterradar.warehouse.records import ClusterRecord
from clusterradar.warehouse.reviews import Evidence, evidence_for

INTENSITY = "intensity"


@dataclass(slots=True)
class DimensionChange:
    """One dimension of a changed cluster: 'suggestion' (rank 1 of the newest runs) or
    'classification' (labels in force on the as-of dates)."""

    dimension: str
    kind: str
    before: list[str] | None
    after: list[str] | None
    # Scores of the label now ranked first: last quarter's run and this quarter's (suggestions).
    score_before: float | None = None
    score_after: float | None = None
    score_change: float | None = None
    source: str | None = None  # classification: where the labels in force came from
    decided_by: str | None = None


@dataclass(slots=True)
class ChangedCluster:
    """A cluster with at least one changed dimension, and the evidence for its new state."""

    cluster_id: str
    name: str
    bundeslaender: list[str]
    changes: list[DimensionChange] = field(default_factory=list)
    evidence: Evidence | None = None
    evidence_is_new: bool = False  # False: the old suggestion cited this passage too

    @property
    def intensity_changed(self) -> bool:
        return any(c.dimension == INTENSITY for c in self.changes)

    @property
    def score_change(self) -> float | None:
        """The largest score change among the changed suggestions (intensity first)."""
        values = [c.score_change for c in self._ordered() if c.score_change is not None]
        return values[0] if values else None

    def _ordered(self) -> list[DimensionChange]:
        return sorted(self.changes, key=lambda c: (c.dimension != INTENSITY, c.kind))


def changed_clusters(
    con: duckdb.DuckDBPyConnection,
    diff: QuarterDiff,
    previous: Quarter,
    quarter: Quarter,
    facts: dict[str, ClusterRecord],
) -> list[ChangedCluster]:
    """One row per changed cluster (see :func:`_reading_order`). When the earlier quarter had
    no classification run at all, suggestions that merely appear are not listed: every
    cluster would be "changed"."""
    rows: dict[str, ChangedCluster] = {}

    def row(cluster_id: str, name: str) -> ChangedCluster:
        if cluster_id not in rows:
            lands = facts[cluster_id].bundeslaender if cluster_id in facts else []
            rows[cluster_id] = ChangedCluster(cluster_id, name, lands)
        return rows[cluster_id]

    # Which suggestions' evidence to compare: per (cluster, dimension), (new id, old id).
    pairs: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for s in diff.suggestion_changes:
        if diff.from_run_id is None and s.before is None:
            continue
        row(s.cluster_id, s.cluster_name).changes.append(
            DimensionChange(
                s.dimension,
                "suggestion",
                [s.before] if s.before else None,
                [s.after] if s.after else None,
                s.after_label_score_before,
                s.after_score,
                s.score_change,
            )
        )
        pairs[(s.cluster_id, s.dimension)] = (s.after_suggestion_id, s.before_suggestion_id)
    classification_keys = []
    for c in diff.classification_changes:
        row(c.cluster_id, c.cluster_name).changes.append(
            DimensionChange(
                c.dimension,
                "classification",
                c.before,
                c.after,
                source=c.source,
                decided_by=c.decided_by,
            )
        )
        classification_keys.append((c.cluster_id, c.dimension))
    if classification_keys:
        now = {
            (t.cluster_id, t.dimension): t for t in quarter_facts.top_suggestions(con, str(quarter))
        }
        before = {
            (t.cluster_id, t.dimension): t
            for t in quarter_facts.top_suggestions(con, str(previous))
        }
        for key in classification_keys:
            if key not in pairs and key in now:
                pairs[key] = (
                    now[key].suggestion_id,
                    before[key].suggestion_id if key in before else None,
                )
    _attach_evidence(con, rows, pairs)
    for changed in rows.values():
        changed.changes = changed._ordered()
    return sorted(rows.values(), key=_reading_order)


def _reading_order(row: ChangedCluster) -> tuple:
    """Intensity changes first, the biggest score change first, then by name."""
    return (not row.intensity_changed, -abs(row.score_change or 0.0), row.name.casefold())


def _attach_evidence(
    con: duckdb.DuckDBPyConnection,
    rows: dict[str, ChangedCluster],
    pairs: dict[tuple[str, str], tuple[str | None, str | None]],
) -> None:
    """Give each row the best passage of its new suggestion (intensity first) that the old
    suggestion did not cite; the best passage at all when every one was cited before."""
    ids = sorted({sid for pair in pairs.values() for sid in pair if sid})
    evidence = evidence_for(con, ids)
    for (cluster_id, _), (new_id, old_id) in sorted(
        pairs.items(), key=lambda item: (item[0][0], item[0][1] != INTENSITY, item[0][1])
    ):
        target = rows[cluster_id]
        if target.evidence is not None or not new_id or not evidence.get(new_id):
            continue
        cited = {e.passage for e in evidence.get(old_id or "", [])}
        fresh = [e for e in evidence[new_id] if e.passage not in cited]
        target.evidence = (fresh or evidence[new_id])[0]
        target.evidence_is_new = bool(fresh)
