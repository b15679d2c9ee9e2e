"""What the review pages read beyond suggestions and decisions (those are in
:mod:`clusterradar.warehouse.reviews`): the classification runs a reviewer can filter by, the
labels in force for the queue, a cluster's suggestions of the quarter before, and whether its
site answered the latest crawl.

Every function takes an open connection and only reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from clusterradar.warehouse.db import query
from clusterradar.warehouse.records import StoredSuggestion


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
    con: duckdb.DuckDBPyConnection, as_of: dt.date
) -> dict[tuple[str, str], list[str]]:
    """Labels in force per (cluster, dimension) on `as_of`: what
    :func:`clusterradar.warehouse.history.effective_at` says, reading only the labels."""
    rows = con.execute(query("review_labels_in_force"), {"as_of": as_of}).fetchall()
    return {(cluster_id, dimension): list(labels) for cluster_id, dimension, labels in rows}


def previous_quarter_suggestions(
    con: duckdb.DuckDBPyConnection, cluster_id: str
) -> dict[str, StoredSuggestion]:
    """Per dimension, the rank-1 suggestion of the newest finished run of an earlier quarter
    than the cluster's latest run in that dimension (runs without a quarter: an earlier run).
    A dimension without such a run is absent."""
    cursor = con.execute(query("review_previous_suggestions"), {"cluster_id": cluster_id})
    names = [d[0] for d in cursor.description]
    found: dict[str, StoredSuggestion] = {}
    for row in cursor.fetchall():
        suggestion = StoredSuggestion(**dict(zip(names, row, strict=True)))
        found.setdefault(suggestion.dimension, suggestion)
    return found


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
