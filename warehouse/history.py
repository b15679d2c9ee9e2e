"""The effective classification as append-only versions with valid_from / valid_to.

A new version never updates an old row: `valid_to` is derived (the next version's valid_from,
see the `effective_classifications` view). Two versions with the same valid_from are ordered by
their recording sequence; the later one wins from that date on.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import duckdb

from clusterradar import clock
from clusterradar.clock import utcnow
from clusterradar.warehouse.db import query

SOURCES = ("paper", "review")


@dataclass(slots=True)
class ClassificationVersion:
    """One version of a cluster's labels in one dimension."""

    version_id: str
    cluster_id: str
    dimension: str
    labels: list[str]
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    source_ref: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    model_version: str | None = None
    evidence_urls: list[str] = field(default_factory=list)
    recorded_at: dt.datetime | None = None


def record_version(
    con: duckdb.DuckDBPyConnection,
    *,
    cluster_id: str,
    dimension: str,
    labels: list[str],
    valid_from: dt.date,
    source: str,
    source_ref: str | None = None,
    decided_by: str | None = None,
    decided_at: dt.datetime | None = None,
    model_version: str | None = None,
    evidence_urls: list[str] | None = None,
) -> str:
    """Append a version; returns its id. The caller owns the transaction."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    version_id = uuid.uuid4().hex
    con.execute(
        """
        INSERT INTO classification_versions
            (version_id, cluster_id, dimension, labels, valid_from, source, source_ref,
             decided_by, decided_at, model_version, evidence_urls, recorded_at, seq)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nextval('classification_versions_seq'))
        """,
        [
            version_id,
            cluster_id,
            dimension,
            sorted(labels),
            valid_from,
            source,
            source_ref,
            decided_by,
            decided_at,
            model_version,
            evidence_urls or [],
            utcnow(),
        ],
    )
    return version_id


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[ClassificationVersion]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [
        ClassificationVersion(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()
    ]


def effective_at(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    *,
    cluster_id: str | None = None,
    dimension: str | None = None,
) -> list[ClassificationVersion]:
    """The versions in force on `as_of` (one per cluster and dimension at most)."""
    return _rows(
        con,
        query("effective_at"),
        {"as_of": as_of, "cluster_id": cluster_id, "dimension": dimension},
    )


def current_labels(
    con: duckdb.DuckDBPyConnection, cluster_id: str, dimension: str, as_of: dt.date | None = None
) -> list[str] | None:
    """Labels in force for one (cluster, dimension), or None when it was never classified."""
    found = effective_at(con, as_of or clock.today(), cluster_id=cluster_id, dimension=dimension)
    return list(found[0].labels) if found else None


def timeline(con: duckdb.DuckDBPyConnection, cluster_id: str) -> list[ClassificationVersion]:
    """All versions of a cluster, per dimension oldest first."""
    return _rows(con, query("timeline"), {"cluster_id": cluster_id})
