"""The review queue kept in memory by the review app, brought up to date on each request from
what the warehouse says has changed (issue 17).

Why: computing the queue reads every suggestion of each cluster's latest run and the labels in
force (450 clusters x 4 dimensions: 1,800 candidates, 1,575 items, about 80 ms in Python).
Ordering and counting it in one warehouse query instead still cost 70 ms, half of it planning a
query of some 190 operators, so the queue page's p95 stayed above 100 ms (docs/performance.md).
Yet between two requests almost nothing changes, and a reviewer's decision touches one cluster.

So the app keeps each queue it has shown (per viewer under four-eyes, per run or quarter
filter) and reads, once per request, a few numbers that say what moved
(``warehouse/queries/review_queue_stamp.sql``, about 4 ms):

- nothing: the queue is current;
- review decisions, review conclusions or label versions: their counts per cluster
  (``review_queue_cluster_counts.sql``; the tables are append-only, so a cluster whose counts
  moved is exactly one whose review changed) name the clusters whose items are computed again,
  by :func:`clusterradar.review.queue.pending_items` over only those clusters' candidates and
  labels (the queue's rules work per cluster);
- classification runs, suggestions, the registry's clusters, or the day (labels take effect by
  date): the whole queue is computed again.

The rules stay in :mod:`clusterradar.review.queue`; this module only decides what to compute
again. A write committed while a queue is brought up to date is never missed: the numbers are
read before the rows they describe, so a commit after them moves them again for the next
request. Writes by other processes need nothing more: they change the same numbers.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

import duckdb

from clusterradar import clock
from clusterradar.review import vocabulary
from clusterradar.review.queue import QueueFilters, QueueItem, pending_items, position_key
from clusterradar.settings import ReviewSettings
from clusterradar.warehouse import review_pages, reviews
from clusterradar.warehouse.review_pages import ClusterReviewCounts, QueueStamp, RunInfo

# Parts of the stamp after whose change every item is computed again; the rest (decisions,
# conclusions, versions) are followed per cluster.
WHOLE_QUEUE_PARTS = ("suggestions", "runs", "clusters")
MAX_QUEUES = 16  # queues kept (viewers x run/quarter filters); the least recently read goes


@dataclass(frozen=True, slots=True)
class QueueKey:
    """Which queue: the viewer matters only under four-eyes (their own decisions are hidden from
    them), the run and quarter filters choose each (cluster, dimension)'s latest run."""

    viewer: str | None
    run_id: str | None
    quarter: str | None


@dataclass(slots=True)
class PendingQueue:
    """A queue as one request reads it: every pending item in queue order (initiatives the
    registry dropped included; ``candidate.dropped`` marks them) and the finished runs."""

    items: list[QueueItem]
    runs: list[RunInfo]
    recomputed: tuple[str, ...] | None = ()  # clusters computed again; None: the whole queue


class _Queue:
    """One queue's items per cluster and what the warehouse said when they were computed."""

    def __init__(self, key: QueueKey, settings: ReviewSettings):
        self.key = key
        self.settings = settings
        self.stamp: QueueStamp | None = None
        self.as_of: dt.date | None = None
        self.counts: ClusterReviewCounts = {}
        self.by_cluster: dict[str, list[QueueItem]] = {}
        self.ordered: list[QueueItem] | None = None

    def bring_up_to_date(
        self, con: duckdb.DuckDBPyConnection, stamp: QueueStamp, as_of: dt.date
    ) -> tuple[str, ...] | None:
        """Compute again what moved since the last read; which clusters (None: all)."""
        if stamp == self.stamp and as_of == self.as_of:
            return ()
        whole = (
            self.stamp is None
            or as_of != self.as_of
            or any(stamp.get(part) != self.stamp.get(part) for part in WHOLE_QUEUE_PARTS)
        )
        counts = review_pages.cluster_review_counts(con)  # before the rows it describes
        recomputed: tuple[str, ...] | None = None
        if whole:
            self.by_cluster = {}
            self._compute(con, None, as_of)
        else:
            recomputed = tuple(
                sorted(
                    cluster_id
                    for cluster_id in counts.keys() | self.counts.keys()
                    if counts.get(cluster_id) != self.counts.get(cluster_id)
                )
            )
            if recomputed:
                self._compute(con, list(recomputed), as_of)
        self.stamp, self.as_of, self.counts = stamp, as_of, counts
        return recomputed

    def _compute(
        self, con: duckdb.DuckDBPyConnection, cluster_ids: list[str] | None, as_of: dt.date
    ) -> None:
        """The items of `cluster_ids` (None: of every cluster) computed again."""
        candidates = reviews.queue_candidates(
            con, run_id=self.key.run_id, quarter=self.key.quarter, cluster_ids=cluster_ids
        )
        current = review_pages.labels_in_force(con, as_of, cluster_ids)
        items = pending_items(
            candidates,
            current,
            is_multi_label=vocabulary.is_multi_label,
            viewer=self.key.viewer,
            four_eyes=self.settings.four_eyes,
            low_confidence=self.settings.low_confidence,
            min_score=self.settings.queue_min_score,
            include_dropped=True,
        )
        for cluster_id in cluster_ids or ():
            self.by_cluster.pop(cluster_id, None)
        for item in items:
            self.by_cluster.setdefault(item.candidate.cluster_id, []).append(item)
        self.ordered = None

    def items(self) -> list[QueueItem]:
        if self.ordered is None:
            everything = [item for items in self.by_cluster.values() for item in items]
            everything.sort(key=lambda item: position_key(item.candidate, item.reason))
            self.ordered = everything
        return self.ordered


class QueueIndex:
    """The queues of one review app (one warehouse, one set of review settings), shared by its
    request threads."""

    def __init__(self, settings: ReviewSettings, max_queues: int = MAX_QUEUES):
        self.settings = settings
        self.max_queues = max_queues
        self._queues: OrderedDict[QueueKey, _Queue] = OrderedDict()
        self._runs: tuple[int | None, list[RunInfo]] | None = None
        self._lock = threading.Lock()

    def read(
        self, con: duckdb.DuckDBPyConnection, viewer: str | None, filters: QueueFilters
    ) -> PendingQueue:
        """The queue for `viewer` under `filters`' run and quarter, brought up to date first
        (the other filters only narrow what a page shows: the caller applies them)."""
        key = QueueKey(viewer if self.settings.four_eyes else None, filters.run_id, filters.quarter)
        with self._lock:
            stamp = review_pages.queue_stamp(con)
            as_of = clock.today()
            queue = self._queues.pop(key, None) or _Queue(key, self.settings)
            self._queues[key] = queue  # the most recently read last
            while len(self._queues) > self.max_queues:
                self._queues.popitem(last=False)
            recomputed = queue.bring_up_to_date(con, stamp, as_of)
            if self._runs is None or self._runs[0] != stamp.get("runs"):
                self._runs = (stamp.get("runs"), review_pages.finished_runs(con))
            return PendingQueue(list(queue.items()), list(self._runs[1]), recomputed)
