"""What the review pages read beyond suggestions and decisions (those are in
:mod:`clusterradar.warehouse.reviews`): the classification runs a reviewer can filter by, the
labels in force, what changed for the queue, a cluster's suggestions of the quarter before,
and whether its site answered the latest crawl.

Every function takes an open connection and only reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import duckdb

from clusterradar.warehouse.db import query
from clusterradar.warehouse.records import StoredSuggestion
from clusterradar.warehouse.reviews import QueueCandidate


@dataclass(slots=True)
class RunInfo:
    """A finished classification run, as the queue's run filter lists it."""

    run_id: str
    quarter: str | None
    finished_at: dt.datetime | None
    model_version: str


def run_status(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The status of a classification run ('running', 'finished', 'failed'), None if unknown."""
    row = con.execute(
        "SELECT status FROM classification_runs WHERE run_id = ?", [run_id]
    ).fetchone()
    return row[0] if row else None


def finished_runs(con: duckdb.DuckDBPyConnection) -> list[RunInfo]:
    """Every finished classification run, newest first."""
    rows = con.execute(
        "SELECT run_id, quarter, finished_at, model_version FROM classification_runs "
        "WHERE status = 'finished' ORDER BY finished_at DESC"
    ).fetchall()
    return [RunInfo(*row) for row in rows]


def labels_in_force(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, cluster_ids: list[str] | None = None
) -> dict[tuple[str, str], list[str]]:
    """Labels in force per (cluster, dimension) on `as_of`: what
    :func:`clusterradar.warehouse.history.effective_at` says, reading only the labels; of every
    cluster, or only of `cluster_ids`."""
    params = {"as_of": as_of, "cluster_ids": cluster_ids}
    rows = con.execute(query("review_labels_in_force"), params).fetchall()
    return {(cluster_id, dimension): list(labels) for cluster_id, dimension, labels in rows}


QueueStamp = dict[str, int]  # part of review_queue_stamp.sql -> its count or hash
ClusterReviewCounts = dict[str, tuple[int, int, int]]  # cluster -> decisions, versions, conclusions


def queue_stamp(con: duckdb.DuckDBPyConnection) -> QueueStamp:
    """What the review queue depends on, in a few numbers (``queries/review_queue_stamp.sql``):
    counts of the append-only tables, hashes over the runs and the clusters."""
    return dict(con.execute(query("review_queue_stamp")).fetchall())


def cluster_review_counts(con: duckdb.DuckDBPyConnection) -> ClusterReviewCounts:
    """Per cluster, its review decisions, label versions and review conclusions (counts; the
    tables are append-only, so a cluster whose counts moved is one whose review changed)."""
    rows = con.execute(query("review_queue_cluster_counts")).fetchall()
    return {cluster_id: tuple(counts) for cluster_id, *counts in rows}


@dataclass(slots=True)
class ClusterSuggestions:
    """A cluster's suggestions as its page shows them."""

    latest: list[QueueCandidate]  # of the latest finished run per dimension, by dimension, rank
    previous: dict[str, StoredSuggestion]  # per dimension, rank 1 of the quarter before


def cluster_suggestions(con: duckdb.DuckDBPyConnection, cluster_id: str) -> ClusterSuggestions:
    """Per dimension, the suggestions of the cluster's latest finished run (by ``finished_at``)
    with their review state, and the rank-1 suggestion (the best scored, if several) of the
    newest finished run that finished before it and belongs to a quarter earlier than the
    newest quarter among the dimension's runs (a run without a quarter, or a dimension whose
    runs have none, compares as earlier). A dimension without such a run has no previous
    suggestion."""
    cursor = con.execute(query("review_cluster_run_suggestions"), {"cluster_id": cluster_id})
    names = [d[0] for d in cursor.description][:-1]
    rows = [
        (QueueCandidate(**dict(zip(names, row[:-1], strict=True))), row[-1])
        for row in cursor.fetchall()
    ]
    latest_runs: dict[str, tuple[str, dt.datetime]] = {}
    quarters: dict[str, tuple[str, dt.datetime]] = {}  # the newest run's with a quarter
    for candidate, finished_at in rows:
        best = latest_runs.get(candidate.dimension)
        if best is None or finished_at > best[1]:
            latest_runs[candidate.dimension] = (candidate.run_id, finished_at)
        best = quarters.get(candidate.dimension)
        if candidate.quarter is not None and (best is None or finished_at > best[1]):
            quarters[candidate.dimension] = (candidate.quarter, finished_at)
    latest = [c for c, _ in rows if latest_runs[c.dimension][0] == c.run_id]
    latest.sort(key=lambda c: (c.dimension, c.rank))
    previous: dict[str, StoredSuggestion] = {}
    for dimension, (_, latest_at) in sorted(latest_runs.items()):
        quarter = quarters.get(dimension, (None,))[0]
        earlier = [
            (finished_at, c.run_id)
            for c, finished_at in rows
            if c.dimension == dimension
            and finished_at < latest_at
            and (quarter is None or c.quarter is None or c.quarter < quarter)
        ]
        if not earlier:
            continue
        run_id = max(earlier, key=lambda pair: pair[0])[1]
        ranked_first = [
            c for c, _ in rows if c.dimension == dimension and c.run_id == run_id and c.rank == 1
        ]
        if ranked_first:
            best = max(ranked_first, key=lambda c: c.score)
            previous[dimension] = StoredSuggestion(
                **{f.name: getattr(best, f.name) for f in fields(StoredSuggestion)}
            )
    return ClusterSuggestions(latest, previous)


def previous_quarter_suggestions(
    con: duckdb.DuckDBPyConnection, cluster_id: str
) -> dict[str, StoredSuggestion]:
    """Per dimension, the rank-1 suggestion of the quarter before the cluster's latest run in
    that dimension (see :func:`cluster_suggestions`)."""
    return cluster_suggestions(con, cluster_id).previous


@dataclass(slots=True)
class SiteOutcome:
    """How the newest site crawl of a cluster ended ('ok', 'timeout', 'dns_error', ...)."""

    crawl_run_id: str
    outcome: str
    pages: int
    detail: str | None
    finished_at: dt.datetime

    @property
    def failed(self) -> bool:
        """The site gave no pages this time (unreachable, refused, empty, no website)."""
        return self.outcome != "ok"


def latest_site_outcome(con: duckdb.DuckDBPyConnection, cluster_id: str) -> SiteOutcome | None:
    """The newest site crawl outcome of the cluster, None when its site was never crawled."""
    row = con.execute(
        "SELECT crawl_run_id, outcome, pages, detail, finished_at FROM site_outcomes "
        "WHERE cluster_id = ? ORDER BY finished_at DESC LIMIT 1",
        [cluster_id],
    ).fetchone()
    return SiteOutcome(*row) if row else None
