"""Writing classification runs, suggestions and their evidence (short transactions).

A run is opened as 'running', filled cluster batch by cluster batch (each batch one
transaction, so an interruption keeps whole clusters only) and closed as 'finished'. A rerun of
an unfinished run skips the clusters it already holds, so no suggestion is written twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from clusterradar.warehouse.db import connect, query, transaction
from clusterradar.warehouse.history import utcnow


@dataclass(slots=True)
class RunRecord:
    run_id: str
    status: str
    parameters: dict


def find_runs(
    db_path: Path, quarter: str | None, model_version: str, training_data_hash: str
) -> list[RunRecord]:
    """Runs of this quarter, model version and training data, newest first."""
    with connect(db_path, read_only=True) as con:
        rows = con.execute(
            query("models_find_run"), [quarter, model_version, training_data_hash]
        ).fetchall()
    return [RunRecord(r[0], r[1], json.loads(r[2]) if r[2] else {}) for r in rows]


def open_run(
    db_path: Path,
    *,
    quarter: str | None,
    model_version: str,
    code_version: str,
    training_data_hash: str,
    parameters: dict,
) -> str:
    run_id = uuid.uuid4().hex
    with connect(db_path) as con, transaction(con):
        con.execute(
            query("models_insert_run"),
            [
                run_id,
                quarter,
                utcnow(),
                model_version,
                code_version,
                training_data_hash,
                json.dumps(parameters),
            ],
        )
    return run_id


def finish_run(db_path: Path, run_id: str, status: str = "finished") -> None:
    with connect(db_path) as con, transaction(con):
        con.execute(query("models_finish_run"), [status, utcnow(), run_id])


def clusters_done(db_path: Path, run_id: str) -> set[str]:
    with connect(db_path, read_only=True) as con:
        return {r[0] for r in con.execute(query("models_run_clusters_done"), [run_id]).fetchall()}


@dataclass(slots=True)
class EvidenceRow:
    rank: int
    url: str | None
    snapshot_id: str | None
    passage: str
    reason: str
    score: float | None


@dataclass(slots=True)
class SuggestionRow:
    cluster_id: str
    dimension: str
    label_key: str
    score: float
    rank: int
    evidence: list[EvidenceRow]


def write_suggestions(
    db_path: Path,
    run_id: str,
    rows: Iterable[SuggestionRow],
    *,
    model_version: str,
    training_data_hash: str,
) -> int:
    """Insert one batch (typically a few clusters) in one transaction; returns rows written."""
    now = utcnow()
    count = 0
    with connect(db_path) as con, transaction(con):
        for row in rows:
            suggestion_id = uuid.uuid4().hex
            con.execute(
                query("models_insert_suggestion"),
                [
                    suggestion_id,
                    run_id,
                    row.cluster_id,
                    row.dimension,
                    row.label_key,
                    float(row.score),
                    int(row.rank),
                    model_version,
                    training_data_hash,
                    now,
                ],
            )
            for e in row.evidence:
                con.execute(
                    query("models_insert_evidence"),
                    [suggestion_id, e.rank, e.url, e.snapshot_id, e.passage, e.reason, e.score],
                )
            count += 1
    return count


def run_suggestions(db_path: Path, run_id: str) -> list[tuple]:
    """(cluster_id, dimension, label_key, score, rank) of a run, ordered."""
    with connect(db_path, read_only=True) as con:
        return con.execute(query("models_run_suggestions"), [run_id]).fetchall()
