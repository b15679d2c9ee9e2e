"""Storage of review: suggestions as reviewers see them, decisions, conclusions, page snapshots.

Only reads and appends; the rules (what a decision does to the classification history) live in
:mod:`clusterradar.review.decisions`. Every function takes an open connection, so the caller
decides how short its connection and transaction are (see :mod:`clusterradar.warehouse.db`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

import duckdb

from clusterradar.warehouse.db import query
from clusterradar.warehouse.records import (
    ClusterRecord,
    Evidence,
    PageSnapshot,
    ReviewDecision,
    StoredSuggestion,
)

# The shared records under the names review has always used.
ClusterFacts = ClusterRecord
Suggestion = StoredSuggestion

ACTIONS = ("accept", "reject", "override")


@dataclass(slots=True, frozen=True, kw_only=True)
class QueueCandidate(StoredSuggestion):
    """A view: a suggestion of a cluster's latest finished run (a :class:`StoredSuggestion`,
    whose fields it has), with the cluster's name and Länder and what review already did to it.
    """

    cluster_name: str
    bundeslaender: list[str] = field(default_factory=list)
    concluded: bool = False
    reviewers: list[str] = field(default_factory=list)
    dropped: bool = False  # the registry no longer lists the initiative (missing_since)

    @classmethod
    def of(cls, suggestion: StoredSuggestion, **view: object) -> QueueCandidate:
        """Wrap a stored suggestion; `view` gives the fields the queue adds."""
        stored = {f.name: getattr(suggestion, f.name) for f in fields(StoredSuggestion)}
        return cls(**stored, **view)


def _records(cursor: duckdb.DuckDBPyConnection, kind: type) -> list:
    names = [d[0] for d in cursor.description]
    return [kind(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def load_suggestion(con: duckdb.DuckDBPyConnection, suggestion_id: str) -> Suggestion | None:
    cursor = con.execute(
        """
        SELECT s.suggestion_id, s.run_id, s.cluster_id, s.dimension, s.label_key, s.score,
               s.rank, s.model_version, r.quarter
        FROM suggestions s LEFT JOIN classification_runs r ON r.run_id = s.run_id
        WHERE s.suggestion_id = ?
        """,
        [suggestion_id],
    )
    found = _records(cursor, Suggestion)
    return found[0] if found else None


def group_suggestion_ids(con: duckdb.DuckDBPyConnection, suggestion: Suggestion) -> list[str]:
    """All suggestions of the same (run, cluster, dimension): alternatives to one another."""
    rows = con.execute(
        "SELECT suggestion_id FROM suggestions "
        "WHERE run_id = ? AND cluster_id = ? AND dimension = ?",
        [suggestion.run_id, suggestion.cluster_id, suggestion.dimension],
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(slots=True)
class NewerRun:
    """A finished classification run that superseded a suggestion's run."""

    run_id: str
    quarter: str | None
    finished_at: dt.datetime


def newer_run_for(con: duckdb.DuckDBPyConnection, suggestion: Suggestion) -> NewerRun | None:
    """The latest finished run that finished after the suggestion's run and has suggestions for
    the same cluster and dimension (the suggestion is then superseded), else None."""
    cursor = con.execute(
        """
        SELECT r.run_id, r.quarter, r.finished_at
        FROM classification_runs r
        WHERE r.status = 'finished' AND r.run_id <> $run_id
          AND r.finished_at > (
              SELECT coalesce(finished_at, started_at) FROM classification_runs
              WHERE run_id = $run_id)
          AND EXISTS (
              SELECT 1 FROM suggestions s
              WHERE s.run_id = r.run_id AND s.cluster_id = $cluster_id
                AND s.dimension = $dimension)
        ORDER BY r.finished_at DESC
        LIMIT 1
        """,
        {
            "run_id": suggestion.run_id,
            "cluster_id": suggestion.cluster_id,
            "dimension": suggestion.dimension,
        },
    )
    found = _records(cursor, NewerRun)
    return found[0] if found else None


def conclusion_of(
    con: duckdb.DuckDBPyConnection, suggestion_ids: list[str]
) -> ReviewDecision | None:
    """The decision that concluded review of any of these suggestions, or None."""
    if not suggestion_ids:
        return None
    cursor = con.execute(
        """
        SELECT d.decision_id, d.suggestion_id, d.cluster_id, d.dimension, d.action, d.labels,
               d.reviewer, d.decided_at, d.comment
        FROM review_conclusions k JOIN review_decisions d ON d.decision_id = k.decision_id
        WHERE list_contains(?, k.suggestion_id)
        ORDER BY k.concluded_at
        LIMIT 1
        """,
        [suggestion_ids],
    )
    found = _records(cursor, ReviewDecision)
    return found[0] if found else None


def decisions_for(con: duckdb.DuckDBPyConnection, suggestion_id: str) -> list[ReviewDecision]:
    cursor = con.execute(
        """
        SELECT decision_id, suggestion_id, cluster_id, dimension, action, labels, reviewer,
               decided_at, comment
        FROM review_decisions WHERE suggestion_id = ? ORDER BY decided_at, decision_id
        """,
        [suggestion_id],
    )
    return _records(cursor, ReviewDecision)


def cluster_decisions(con: duckdb.DuckDBPyConnection, cluster_id: str) -> list[ReviewDecision]:
    cursor = con.execute(
        """
        SELECT decision_id, suggestion_id, cluster_id, dimension, action, labels, reviewer,
               decided_at, comment
        FROM review_decisions WHERE cluster_id = ? ORDER BY decided_at, decision_id
        """,
        [cluster_id],
    )
    return _records(cursor, ReviewDecision)


def all_decisions(con: duckdb.DuckDBPyConnection) -> list[ReviewDecision]:
    cursor = con.execute(
        """
        SELECT decision_id, suggestion_id, cluster_id, dimension, action, labels, reviewer,
               decided_at, comment
        FROM review_decisions ORDER BY decided_at, decision_id
        """
    )
    return _records(cursor, ReviewDecision)


def insert_decision(con: duckdb.DuckDBPyConnection, decision: ReviewDecision) -> None:
    con.execute(
        """
        INSERT INTO review_decisions
            (decision_id, suggestion_id, cluster_id, dimension, action, labels, reviewer,
             decided_at, comment)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            decision.decision_id,
            decision.suggestion_id,
            decision.cluster_id,
            decision.dimension,
            decision.action,
            decision.labels,
            decision.reviewer,
            decision.decided_at,
            decision.comment,
        ],
    )


def decision_of_request(con: duckdb.DuckDBPyConnection, request_key: str) -> ReviewDecision | None:
    """The decision an earlier POST with this idempotency key made, or None."""
    cursor = con.execute(
        """
        SELECT d.decision_id, d.suggestion_id, d.cluster_id, d.dimension, d.action, d.labels,
               d.reviewer, d.decided_at, d.comment
        FROM review_requests q JOIN review_decisions d ON d.decision_id = q.decision_id
        WHERE q.request_key = ?
        """,
        [request_key],
    )
    found = _records(cursor, ReviewDecision)
    return found[0] if found else None


def insert_request(
    con: duckdb.DuckDBPyConnection, request_key: str, decision: ReviewDecision
) -> None:
    con.execute(
        "INSERT INTO review_requests VALUES (?, ?, ?, ?)",
        [request_key, decision.decision_id, decision.reviewer, decision.decided_at],
    )


def conclusion_version(
    con: duckdb.DuckDBPyConnection, suggestion_id: str
) -> tuple[bool, str | None]:
    """(whether review of the suggestion is concluded, the version its conclusion created)."""
    row = con.execute(
        "SELECT version_id FROM review_conclusions WHERE suggestion_id = ?", [suggestion_id]
    ).fetchone()
    return (row is not None, row[0] if row else None)


def insert_conclusion(
    con: duckdb.DuckDBPyConnection,
    *,
    suggestion_id: str,
    decision_id: str,
    action: str,
    version_id: str | None,
    concluded_at: dt.datetime,
) -> None:
    con.execute(
        "INSERT INTO review_conclusions VALUES (?, ?, ?, ?, ?)",
        [suggestion_id, decision_id, action, version_id, concluded_at],
    )


def evidence_for(
    con: duckdb.DuckDBPyConnection, suggestion_ids: list[str]
) -> dict[str, list[Evidence]]:
    """Evidence passages per suggestion, best first.

    When the passage comes from a stored page snapshot, its URL is the one that was actually
    fetched (the snapshot's ``final_url`` after redirects, else its ``url``), not the evidence
    row's normalised URL: normalising rewrites http to https, a dead link for http-only sites."""
    found: dict[str, list[Evidence]] = {sid: [] for sid in suggestion_ids}
    if not suggestion_ids:
        return found
    cursor = con.execute(
        """
        SELECT e.suggestion_id, e.rank, coalesce(p.final_url, p.url, e.url) AS url,
               e.snapshot_id, e.passage, e.reason, e.score
        FROM suggestion_evidence e
        LEFT JOIN page_snapshots p ON p.snapshot_id = e.snapshot_id
        WHERE e.suggestion_id = ANY(?::VARCHAR[])  -- a scan filter; list_contains scanned
        ORDER BY e.suggestion_id, e.rank             -- every row's passage first (3x slower)
        """,
        [suggestion_ids],
    )
    for suggestion_id, *columns in cursor.fetchall():
        found[suggestion_id].append(Evidence(*columns))
    return found


def queue_candidates(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str | None = None,
    quarter: str | None = None,
    cluster_ids: list[str] | None = None,
) -> list[QueueCandidate]:
    """The suggestions of each (cluster, dimension)'s latest finished run (optionally of one run
    or quarter), of every cluster or only of `cluster_ids`."""
    params = {"run_id": run_id, "quarter": quarter, "cluster_ids": cluster_ids}
    cursor = con.execute(query("review_queue_candidates"), params)
    return _records(cursor, QueueCandidate)


def load_cluster(con: duckdb.DuckDBPyConnection, cluster_id: str) -> ClusterRecord | None:
    cursor = con.execute(
        """
        SELECT cluster_id, name, alt_names, bundeslaender, website, registry_profile_url,
               go_cluster, technologiefelder, foerdermassnahmen, origin, first_seen, last_seen,
               missing_since
        FROM clusters WHERE cluster_id = ?
        """,
        [cluster_id],
    )
    found = _records(cursor, ClusterRecord)
    return found[0] if found else None


def load_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> PageSnapshot | None:
    """A snapshot's text; an unchanged fetch shows the text of the snapshot it repeats."""
    cursor = con.execute(
        """
        SELECT s.snapshot_id, s.cluster_id, s.url, s.final_url, s.fetched_at, s.http_status,
               coalesce(s.title, o.title) AS title,
               coalesce(s.extracted_text, o.extracted_text) AS extracted_text,
               coalesce(s.language, o.language) AS language
        FROM page_snapshots s LEFT JOIN page_snapshots o ON o.snapshot_id = s.unchanged_of
        WHERE s.snapshot_id = ?
        """,
        [snapshot_id],
    )
    found = _records(cursor, PageSnapshot)
    return found[0] if found else None


def set_meta_once(con: duckdb.DuckDBPyConnection, key: str, value: str) -> str:
    """Store `value` under `key` unless a value is there already; returns the stored value."""
    con.execute("INSERT INTO warehouse_meta VALUES (?, ?) ON CONFLICT DO NOTHING", [key, value])
    return con.execute("SELECT value FROM warehouse_meta WHERE key = ?", [key]).fetchone()[0]


@dataclass(slots=True, frozen=True)
class Rejection:
    """A reject decision with what it rejected: the suggestion's label and its run's quarter."""

    decision: ReviewDecision
    label_key: str | None
    quarter: str | None
    concluded: bool  # False while a four-eyes rejection awaits its second reviewer


def cluster_rejections(con: duckdb.DuckDBPyConnection, cluster_id: str) -> list[Rejection]:
    """The cluster's rejected suggestions, oldest first (`clusterradar history` lists them:
    a rejection appends no classification version, so the timeline alone would hide it)."""
    rows = con.execute(query("review_cluster_rejections"), {"cluster_id": cluster_id}).fetchall()
    return [Rejection(ReviewDecision(*row[:9]), row[9], row[10], bool(row[11])) for row in rows]
