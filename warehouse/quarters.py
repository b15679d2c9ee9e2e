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


def scope_of(
    cluster_ids: list[str] | None,
    max_pages: int | None = None,
    *,
    registry_listed_only: bool = False,
) -> str:
    """Canonical text naming which clusters a run covers and with what page budget.

    ``all``, ``listed`` (only the quarter's registry listing) or ``clusters:<id,...>``, then
    ``;max_pages=N`` when a page budget was given: a quick ``--max-pages 2`` run must never be
    reused by the real one.
    """
    if cluster_ids:
        base = "clusters:" + ",".join(sorted(set(cluster_ids)))
    elif registry_listed_only:
        base = "listed"
    else:
        base = "all"
    return base if max_pages is None else f"{base};max_pages={max_pages}"


def scope_covers(done: str, wanted: str) -> bool:
    """Whether a finished stage of scope `done` covers a run of scope `wanted`: same page
    budget, and the same clusters or all of them (``all`` covers ``listed`` and partial runs)."""
    done_base, _, done_budget = done.partition(";")
    wanted_base, _, wanted_budget = wanted.partition(";")
    return done_budget == wanted_budget and done_base in ("all", wanted_base)


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
    """The newest finished state that covers `scope` (see :func:`scope_covers`), or None."""
    found = [
        state
        for state in stage_states(con, quarter)
        if state.stage == stage and state.finished and scope_covers(state.scope, scope)
    ]
    return max(found, key=lambda state: state.finished_at or dt.datetime.min, default=None)


def sites_crawled(con: duckdb.DuckDBPyConnection, quarter: str, max_pages: int | None) -> set[str]:
    """Clusters with an outcome in a finished site crawl of `quarter` with that page budget."""
    rows = con.execute(
        query("quarterly_sites_crawled"), {"quarter": quarter, "max_pages": max_pages}
    ).fetchall()
    return {row[0] for row in rows}
