"""What the queue and cluster pages (and `review list` / `review show`) display, read from the
warehouse in one short connection each. The web routes and the CLI only format these records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from clusterradar.review import vocabulary
from clusterradar.review.messages import input_error, not_found
from clusterradar.review.queue import Queue, QueueFilters, QueueItem, build_queue, pending_items
from clusterradar.settings import ReviewSettings
from clusterradar.warehouse import review_pages, reviews
from clusterradar.warehouse.history import ClassificationVersion, effective_at, timeline
from clusterradar.warehouse.review_pages import RunInfo
from clusterradar.warehouse.reviews import ClusterFacts, Evidence, QueueCandidate, ReviewDecision


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


def check_filters(con: duckdb.DuckDBPyConnection, filters: QueueFilters) -> QueueFilters:
    """The filters validated (InputError naming the first bad one) and normalised: a quarter
    like ``2026q4`` becomes ``2026Q4``. An unknown filter value would otherwise just show an
    empty queue, which looks like "nothing to do"."""
    if filters.dimension:
        vocabulary.check_dimension(filters.dimension)
    if filters.label:
        vocabulary.check_label_key(filters.label, filters.dimension)
    if filters.bundesland:
        vocabulary.check_bundesland(filters.bundesland)
    quarter = vocabulary.check_quarter(filters.quarter) if filters.quarter else None
    if filters.run_id:
        status = review_pages.run_status(con, filters.run_id)
        if status is None:
            raise input_error(
                f"no classification run {filters.run_id!r}",
                f"Kein Klassifikationslauf {filters.run_id!r}.",
            )
        if status != "finished":
            raise input_error(
                f"classification run {filters.run_id!r} is {status}, not finished; only "
                "finished runs reach the queue",
                f"Der Klassifikationslauf {filters.run_id!r} ist nicht abgeschlossen ({status}).",
            )
    return QueueFilters(
        bundesland=filters.bundesland,
        dimension=filters.dimension,
        label=filters.label,
        run_id=filters.run_id,
        quarter=quarter,
    )


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
    runs = review_pages.finished_runs(con)
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
        raise not_found(f"no cluster {cluster_id!r}", f"Kein Cluster {cluster_id!r}.")
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
