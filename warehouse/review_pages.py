"""What the review pages read beyond suggestions and decisions (those are in
:mod:`clusterradar.warehouse.reviews`): the classification runs a reviewer can filter by, a
cluster's suggestions of the quarter before, and whether its site answered the latest crawl.

Every function takes an open connection and only reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb


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
