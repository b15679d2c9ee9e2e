"""Status of quarterly runs in the warehouse (tables of migration 0004).

Append-only: every attempt is a ``quarter_runs`` row and every stage transition an event row
in ``quarter_stage_events``; the state of a stage is its newest event (view ``quarter_stages``).
Callers write each event in its own short transaction, so a crash leaves at worst a stage
whose newest event is ``running`` — which the runner treats as unfinished and resumes.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

import duckdb

from clusterradar.warehouse.db import query
from clusterradar.warehouse.history import utcnow

STAGE_STATUSES = ("running", "done", "skipped", "failed", "interrupted")
FINISHED_STATUSES = ("done",)  # a skipped stage runs when a later call does not skip it


@dataclass(slots=True)
class StageState:
    """The newest known state of one stage of one quarter."""

    quarter: str
    stage: str
    scope: str
    status: str
    attempt_id: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    ref_id: str | None
    stats: dict[str, Any] | None
    detail: str | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


def scope_of(cluster_ids: list[str] | None) -> str:
    """'all' for a full run, else a canonical text naming the clusters of a partial run."""
    if not cluster_ids:
        return "all"
    return "clusters:" + ",".join(sorted(set(cluster_ids)))


def start_attempt(con: duckdb.DuckDBPyConnection, quarter: str, options: dict[str, Any]) -> str:
    """Record that a run of `quarter` began; returns the attempt id. Caller owns the transaction."""
    attempt_id = uuid.uuid4().hex
    con.execute(
        "INSERT INTO quarter_runs (attempt_id, quarter, started_at, options) VALUES (?, ?, ?, ?)",
        [attempt_id, quarter, utcnow(), json.dumps(options, default=str)],
    )
    return attempt_id


def record_stage_event(
    con: duckdb.DuckDBPyConnection,
    *,
    attempt_id: str,
    quarter: str,
    stage: str,
    status: str,
    scope: str = "all",
    ref_id: str | None = None,
    stats: dict[str, Any] | None = None,
    detail: str | None = None,
) -> None:
    """Append one state transition of a stage. Caller owns the transaction."""
    if status not in STAGE_STATUSES:
        raise ValueError(f"unknown stage status {status!r}")
    con.execute(
        """
        INSERT INTO quarter_stage_events
            (event_id, attempt_id, quarter, stage, scope, status, recorded_at, ref_id, stats,
             detail, seq)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nextval('quarter_stage_events_seq'))
        """,
        [
            uuid.uuid4().hex,
            attempt_id,
            quarter,
            stage,
            scope,
            status,
            utcnow(),
            ref_id,
            None if stats is None else json.dumps(stats, default=str),
            detail,
        ],
    )


def stage_states(con: duckdb.DuckDBPyConnection, quarter: str) -> list[StageState]:
    """Newest state of every (stage, scope) of `quarter`, in pipeline order."""
    cursor = con.execute(query("quarterly_stage_states"), {"quarter": quarter})
    names = [d[0] for d in cursor.description]
    states = []
    for row in cursor.fetchall():
        data = dict(zip(names, row, strict=True))
        data["stats"] = json.loads(data["stats"]) if data["stats"] else None
        states.append(StageState(**data))
    return states


def finished_stage(
    con: duckdb.DuckDBPyConnection, quarter: str, stage: str, scope: str
) -> StageState | None:
    """The finished state that covers `scope` (a full run covers every partial one), or None."""
    for state in stage_states(con, quarter):
        if state.stage == stage and state.finished and state.scope in ("all", scope):
            return state
    return None
