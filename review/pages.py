"""What the queue and cluster pages (and `review list` / `review show`) display, read from the
warehouse in one short connection each. The web routes and the CLI only format these records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from clusterradar.errors import NotFoundError
from clusterradar.review import vocabulary
from clusterradar.review.queue import Queue, QueueFilters, QueueItem, build_queue, pending_items
from clusterradar.settings import ReviewSettings
from clusterradar.warehouse import reviews
from clusterradar.warehouse.history import ClassificationVersion, effective_at, timeline
from clusterradar.warehouse.reviews import ClusterFacts, Evidence, QueueCandidate, ReviewDecision


@dataclass(slots=True)
class RunInfo:
    run_id: str
    quarter: str | None
    finished_at: dt.datetime | None
    model_version: str


@dataclass(slots=True)
class QueuePage:
    queue: Queue
    filters: QueueFilters
    runs: list[RunInfo]
    bundeslaender: list[str]


@dataclass(slots=True)
class SuggestionView:
    """A suggestion on the cluster page: its evidence and what the viewer may still do."""

    candidate: QueueCandidate
    evidence: list[Evidence]
    state: str  # 'open' | 'concluded' | 'awaiting_second' | 'decided_by_you' | 'closed_group'


@dataclass(slots=True)
class ClusterPage:
    cluster_id: str
    facts: ClusterFacts | None
    effective: list[ClassificationVersion]
    suggestions: dict[str, list[SuggestionView]] = field(default_factory=dict)
    versions: list[ClassificationVersion] = field(default_factory=list)
    decisions: list[ReviewDecision] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.facts.name if self.facts else self.cluster_id


def current_classification(
    con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None
) -> dict[tuple[str, str], list[str]]:
    """Labels in force per (cluster, dimension) on `as_of` (default today)."""
    return {
        (v.cluster_id, v.dimension): list(v.labels)
        for v in effective_at(con, as_of or dt.date.today())
    }


def load_pending(
    con: duckdb.DuckDBPyConnection,
    settings: ReviewSettings,
    *,
    viewer: str | None = None,
    filters: QueueFilters | None = None,
) -> list[QueueItem]:
    """Every pending item in queue order, for the given viewer (four-eyes hides their own)."""
    filters = filters or QueueFilters()
    candidates = reviews.queue_candidates(con, run_id=filters.run_id, quarter=filters.quarter)
    return pending_items(
        candidates,
        current_classification(con),
        is_multi_label=vocabulary.is_multi_label,
        viewer=viewer,
        four_eyes=settings.four_eyes,
        low_confidence=settings.low_confidence,
        min_score=settings.queue_min_score,
    )


def load_queue_page(
    con: duckdb.DuckDBPyConnection, settings: ReviewSettings, viewer: str, filters: QueueFilters
) -> QueuePage:
    items = load_pending(con, settings, viewer=viewer, filters=filters)
    runs = [
        RunInfo(*row)
        for row in con.execute(
            "SELECT run_id, quarter, finished_at, model_version FROM classification_runs "
            "WHERE status = 'finished' ORDER BY finished_at DESC"
        ).fetchall()
    ]
    lands = sorted({land for item in items for land in item.candidate.bundeslaender})
    return QueuePage(build_queue(items, filters), filters, runs, lands)


def _state(
    candidate: QueueCandidate, group_closed: bool, viewer: str | None, four_eyes: bool
) -> str:
    if candidate.concluded:
        return "concluded"
    if group_closed:
        return "closed_group"
    if four_eyes and viewer in candidate.reviewers:
        return "decided_by_you"
    if candidate.reviewers:
        return "awaiting_second"
    return "open"


def load_cluster_page(
    con: duckdb.DuckDBPyConnection,
    cluster_id: str,
    *,
    viewer: str | None = None,
    four_eyes: bool = False,
) -> ClusterPage:
    """Registry facts, labels in force, latest suggestions with evidence, and the history."""
    facts = reviews.load_cluster(con, cluster_id)
    candidates = reviews.cluster_suggestions(con, cluster_id)
    versions = timeline(con, cluster_id)
    if facts is None and not candidates and not versions:
        raise NotFoundError(f"no cluster {cluster_id!r}")
    evidence = reviews.evidence_for(con, [c.suggestion_id for c in candidates])
    by_dimension: dict[str, list[QueueCandidate]] = {}
    for candidate in candidates:
        by_dimension.setdefault(candidate.dimension, []).append(candidate)
    suggestions: dict[str, list[SuggestionView]] = {}
    for dimension in vocabulary.dimension_keys():
        group = by_dimension.get(dimension, [])
        closed = not vocabulary.is_multi_label(dimension) and any(c.concluded for c in group)
        suggestions[dimension] = [
            SuggestionView(c, evidence[c.suggestion_id], _state(c, closed, viewer, four_eyes))
            for c in group
        ]
    effective = effective_at(con, dt.date.today(), cluster_id=cluster_id)
    return ClusterPage(
        cluster_id=cluster_id,
        facts=facts,
        effective=effective,
        suggestions=suggestions,
        versions=versions,
        decisions=reviews.cluster_decisions(con, cluster_id),
    )
