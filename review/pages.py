"""What the queue and cluster pages (and `review list` / `review show`) display, read from the
warehouse in one short connection each. The web routes and the CLI only format these records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from clusterradar import clock, texts
from clusterradar.review import vocabulary
from clusterradar.review.messages import input_error, not_found
from clusterradar.review.queue import (
    QUEUE_PAGE_SIZE,
    REASONS,
    Queue,
    QueueFilters,
    QueueItem,
    QueueWindow,
    build_queue,
    listed_window,
    matches,
    next_after,
    pending_items,
    position_key,
)
from clusterradar.review.queue_index import QueueIndex
from clusterradar.settings import ReviewSettings
from clusterradar.warehouse import axis_scores, review_pages, reviews
from clusterradar.warehouse.history import ClassificationVersion, timeline
from clusterradar.warehouse.records import AxisScoreRecord, StoredSuggestion
from clusterradar.warehouse.review_pages import RunInfo, SiteOutcome
from clusterradar.warehouse.reviews import ClusterFacts, Evidence, QueueCandidate, ReviewDecision


@dataclass(slots=True)
class QueuePage:
    queue: Queue
    filters: QueueFilters
    runs: list[RunInfo]
    bundeslaender: list[str]
    dropped_hidden: int = 0  # pending items of initiatives no longer in the registry, not shown
    window: QueueWindow | None = None  # the items listed (queue.items are those too)


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
    previous: dict[str, StoredSuggestion] = field(default_factory=dict)  # last quarter, rank 1
    axes: AxisScoreRecord | None = None  # T and S of the run the intensity suggestions are from
    site: SiteOutcome | None = None  # the newest crawl of the cluster's website

    @property
    def name(self) -> str:
        return self.facts.name if self.facts else self.cluster_id

    @property
    def dropped(self) -> bool:
        """The registry no longer lists the initiative."""
        return bool(self.facts and self.facts.missing_since)

    @property
    def carried_note(self) -> str | None:
        """Why this run's suggestions were carried forward from an earlier run, if they were."""
        return self.axes.note if self.axes and self.axes.carried_from_run else None


def current_classification(
    con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None
) -> dict[tuple[str, str], list[str]]:
    """Labels in force per (cluster, dimension) on `as_of` (default today)."""
    return review_pages.labels_in_force(con, as_of or clock.today())


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
                texts.text("error.no_run", run=filters.run_id),
            )
        if status != "finished":
            raise input_error(
                f"classification run {filters.run_id!r} is {status}, not finished; only "
                "finished runs reach the queue",
                texts.text("error.run_not_finished", run=filters.run_id, status=status),
            )
    return QueueFilters(
        bundesland=filters.bundesland,
        dimension=filters.dimension,
        label=filters.label,
        run_id=filters.run_id,
        quarter=quarter,
        dropped=filters.dropped,
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
        include_dropped=filters.dropped,
    )


def load_queue_page(
    con: duckdb.DuckDBPyConnection,
    settings: ReviewSettings,
    viewer: str,
    filters: QueueFilters,
    number: int = 1,
    size: int = QUEUE_PAGE_SIZE,
    index: QueueIndex | None = None,
) -> QueuePage:
    """Page `number` of the queue (clamped) with the counts of the whole filtered queue. The
    review app passes its `index` (the queue kept in memory, issue 17); without one the queue
    is computed afresh."""
    pending = (index or QueueIndex(settings)).read(con, viewer, filters)
    items = [i for i in pending.items if filters.dropped or not i.candidate.dropped]
    lands = sorted({land for item in items for land in item.candidate.bundeslaender})
    whole = build_queue(items, filters)
    of = len(whole.items)
    pages = max(1, -(-of // size))
    first = (min(max(number, 1), pages) - 1) * size
    listed = whole.items[first : first + size]
    window = listed_window(listed, first + 1, of, size)
    queue = Queue(
        items=listed,
        total_pending=whole.total_pending,
        by_dimension=whole.by_dimension,
        by_reason=whole.by_reason,
        by_bundesland=whole.by_bundesland,
    )
    hidden = len(pending.items) - len(items)
    return QueuePage(queue, filters, pending.runs, lands, hidden, window)


def load_next(
    con: duckdb.DuckDBPyConnection,
    settings: ReviewSettings,
    viewer: str | None,
    filters: QueueFilters,
    after: str | None,
    after_reason: str | None = None,
    index: QueueIndex | None = None,
) -> tuple[QueueItem | None, int]:
    """The queue item after `after` (:func:`clusterradar.review.queue.next_after`; its place
    given by `after_reason` once it has left the queue) and how many items the filtered queue
    has."""
    pending = (index or QueueIndex(settings)).read(con, viewer, filters)
    items = [
        item
        for item in pending.items
        if (filters.dropped or not item.candidate.dropped) and matches(item, filters)
    ]
    after_key = None
    if after and after_reason in REASONS and after not in {i.suggestion_id for i in items}:
        after_key = place_in_queue(con, after, after_reason)
    return next_after(items, after, after_key), len(items)


def place_in_queue(con: duckdb.DuckDBPyConnection, suggestion_id: str, reason: str) -> tuple | None:
    """The queue position key a suggestion had with `reason` (see
    :func:`clusterradar.review.queue.position_key`), also once it has left the queue; None for
    an unknown suggestion."""
    suggestion = reviews.load_suggestion(con, suggestion_id)
    if suggestion is None:
        return None
    facts = reviews.load_cluster(con, suggestion.cluster_id)
    candidate = QueueCandidate.of(
        suggestion,
        cluster_name=facts.name if facts else suggestion.cluster_id,
        bundeslaender=list(facts.bundeslaender) if facts else [],
    )
    return position_key(candidate, reason)


CONFIRMATIONS = texts.Names("confirm")  # in the app's language (clusterradar/texts.py)


def confirmation(con: duckdb.DuckDBPyConnection, msg: str, suggestion_id: str) -> str | None:
    """The confirmation after a decision or skip, naming the initiative and the label; None
    when `msg` or the suggestion is unknown (the caller then shows its generic message)."""
    template = CONFIRMATIONS.get(msg)
    suggestion = reviews.load_suggestion(con, suggestion_id) if template and suggestion_id else None
    if suggestion is None:
        return None
    facts = reviews.load_cluster(con, suggestion.cluster_id)
    return template.format(
        name=facts.name if facts else suggestion.cluster_id,
        label=texts.label(suggestion.dimension, suggestion.label_key),
        dimension=texts.dimension_label(suggestion.dimension),
    )


def queue_reasons(
    page: ClusterPage, settings: ReviewSettings, viewer: str | None
) -> dict[str, str]:
    """The queue group (reason) of each of the page's suggestions that is pending for
    `viewer`, computed by the queue's own rules from the page's suggestions and labels in
    force (the rules work per cluster, so no other cluster is read)."""
    candidates = [view.candidate for views in page.suggestions.values() for view in views]
    current = {(v.cluster_id, v.dimension): list(v.labels) for v in page.effective}
    items = pending_items(
        candidates,
        current,
        is_multi_label=vocabulary.is_multi_label,
        viewer=viewer,
        four_eyes=settings.four_eyes,
        low_confidence=settings.low_confidence,
        min_score=settings.queue_min_score,
        include_dropped=True,
    )
    return {item.suggestion_id: item.reason for item in items}


def in_force(versions: list[ClassificationVersion], day: dt.date) -> list[ClassificationVersion]:
    """The versions of a timeline in force on `day`, as ``effective_at`` reads them for one
    cluster (its validity intervals come from the same view); one query fewer per page."""
    return [v for v in versions if v.valid_from <= day and (v.valid_to is None or v.valid_to > day)]


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
    found = review_pages.cluster_suggestions(con, cluster_id)
    candidates = found.latest
    versions = timeline(con, cluster_id)
    if facts is None and not candidates and not versions:
        raise not_found(
            f"no cluster {cluster_id!r}", texts.text("error.no_cluster", cluster=cluster_id)
        )
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
    effective = in_force(versions, clock.today())
    intensity_runs = [c.run_id for c in by_dimension.get("intensity", [])]
    axes = None
    if intensity_runs:
        axes = axis_scores.axis_scores_in_run(con, intensity_runs[0], [cluster_id]).get(cluster_id)
    return ClusterPage(
        cluster_id=cluster_id,
        facts=facts,
        effective=effective,
        suggestions=suggestions,
        versions=versions,
        decisions=reviews.cluster_decisions(con, cluster_id),
        previous=found.previous,
        axes=axes,
        site=review_pages.latest_site_outcome(con, cluster_id),
    )
