"""Writing classification runs, suggestions and their evidence (short transactions).

A run is opened as 'running', filled cluster batch by cluster batch (each batch one
transaction, so an interruption keeps whole clusters only) and closed as 'finished',
'interrupted' (Ctrl-C) or 'failed' (any other error). A rerun of an unfinished run skips the
clusters it already holds, so no suggestion is written twice.

A process that is killed outright (SIGKILL, power cut) cannot write its final status. While a
process writes a run it therefore holds the run's liveness lock (:func:`writing_run`); the
next ``classify`` marks every 'running' run whose lock nobody holds 'failed'
(:func:`fail_stale_runs`) before it decides what to resume.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clusterradar.warehouse.db import connect, query, transaction
from clusterradar.warehouse.history import utcnow
from clusterradar.warehouse.locks import hold_run, run_is_alive
from clusterradar.warehouse.records import ClusterSuggestion, Evidence, Suggestion


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


def new_run_id() -> str:
    return uuid.uuid4().hex


def open_run(
    db_path: Path,
    *,
    quarter: str | None,
    model_version: str,
    code_version: str,
    training_data_hash: str,
    parameters: dict,
    run_id: str | None = None,
) -> str:
    """Insert a 'running' run (inside :func:`writing_run` of the same id); returns its id."""
    run_id = run_id or new_run_id()
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


def reopen_run(db_path: Path, run_id: str) -> None:
    """Mark an unfinished run 'running' again before resuming it (inside :func:`writing_run`)."""
    with connect(db_path) as con, transaction(con):
        con.execute(query("models_reopen_run"), [run_id])


@contextlib.contextmanager
def writing_run(db_path: Path, run_id: str) -> Iterator[None]:
    """Hold the run's liveness lock while this process writes it, then record how it ended:
    'finished' when the block completes, 'interrupted' on Ctrl-C, 'failed' on any other error
    (re-raised unchanged). Raises RunBusyError if a live process is writing this run already."""
    with hold_run(Path(db_path), run_id):
        try:
            yield
        except KeyboardInterrupt:
            _finish_quietly(db_path, run_id, "interrupted")
            raise
        except BaseException:
            _finish_quietly(db_path, run_id, "failed")
            raise
        finish_run(db_path, run_id, "finished")


def _finish_quietly(db_path: Path, run_id: str, status: str) -> None:
    """Best effort while unwinding: the original error matters more (and a run left
    'running' is marked 'failed' by the next start anyway)."""
    with contextlib.suppress(Exception):
        finish_run(db_path, run_id, status)


def fail_stale_runs(db_path: Path) -> list[str]:
    """Mark 'failed' every 'running' run that no live process writes (its process was killed);
    returns their ids. Checked under the warehouse write lock, so a run cannot finish or start
    half-way through the check."""
    stale = []
    with connect(db_path) as con, transaction(con):
        for (run_id,) in con.execute(query("models_running_runs")).fetchall():
            if not run_is_alive(Path(db_path), run_id):
                con.execute(query("models_finish_run"), ["failed", utcnow(), run_id])
                stale.append(run_id)
    return stale


def clusters_done(db_path: Path, run_id: str) -> set[str]:
    with connect(db_path, read_only=True) as con:
        return {r[0] for r in con.execute(query("models_run_clusters_done"), [run_id]).fetchall()}


# Names kept for callers written before the shared records (one record, two spellings).
EvidenceRow = Evidence


def SuggestionRow(  # the old record's name, now a constructor of the shared one
    cluster_id: str,
    dimension: str,
    label_key: str,
    score: float,
    rank: int,
    evidence: Iterable[Evidence] = (),
) -> ClusterSuggestion:
    return ClusterSuggestion(
        cluster_id, Suggestion(dimension, label_key, score, rank, tuple(evidence))
    )


def write_suggestions(
    db_path: Path,
    run_id: str,
    rows: Iterable[ClusterSuggestion],
    *,
    model_version: str,
    training_data_hash: str,
) -> int:
    """:func:`insert_suggestions` in a transaction of its own; returns rows written."""
    with connect(db_path) as con, transaction(con):
        return insert_suggestions(
            con,
            run_id,
            rows,
            model_version=model_version,
            training_data_hash=training_data_hash,
        )


def insert_suggestions(
    con: Any,
    run_id: str,
    rows: Iterable[ClusterSuggestion],
    *,
    model_version: str,
    training_data_hash: str,
) -> int:
    """Insert one batch (typically a few clusters) in the caller's transaction; returns rows
    written.

    Two set-based statements, not a statement per row: the batch holds the warehouse write
    lock for milliseconds, so review decisions barely wait while classify runs."""
    batch = [(uuid.uuid4().hex, row.cluster_id, row.suggestion) for row in rows]
    suggestions = {
        "suggestion_id": [sid for sid, _, _ in batch],
        "cluster_id": [cluster_id for _, cluster_id, _ in batch],
        "dimension": [s.dimension for _, _, s in batch],
        "label_key": [s.label_key for _, _, s in batch],
        "score": [float(s.score) for _, _, s in batch],
        "rank": [int(s.rank) for _, _, s in batch],
    }
    passages = [(sid, e) for sid, _, s in batch for e in s.evidence]
    evidence = {
        "suggestion_id": [sid for sid, _ in passages],
        "rank": [e.rank for _, e in passages],
        "url": [e.url for _, e in passages],
        "snapshot_id": [e.snapshot_id for _, e in passages],
        "passage": [e.passage for _, e in passages],
        "reason": [e.reason for _, e in passages],
        "score": [e.score for _, e in passages],
    }
    if not batch:
        return 0
    con.execute(
        query("models_insert_suggestion"),
        {
            **suggestions,
            "run_id": run_id,
            "model_version": model_version,
            "training_data_hash": training_data_hash,
            "created_at": utcnow(),
        },
    )
    if passages:
        con.execute(query("models_insert_evidence"), evidence)
    return len(batch)


def run_suggestions(db_path: Path, run_id: str) -> list[tuple]:
    """(cluster_id, dimension, label_key, score, rank) of a run, ordered."""
    with connect(db_path, read_only=True) as con:
        return con.execute(query("models_run_suggestions"), [run_id]).fetchall()


def copy_suggestions(
    con: Any, *, from_run: str, to_run: str, cluster_ids: list[str], note: str | None
) -> None:
    """Copy the clusters' suggestions and evidence from ``from_run`` into ``to_run`` (reused
    or carried-forward classifications, two set-based statements); with ``note``, every copied
    evidence reason ends with it, so a reviewer reads why the suggestion is not new."""
    params = {"from_run": from_run, "to_run": to_run, "cluster_ids": cluster_ids}
    con.execute(query("models_copy_suggestions"), {**params, "created_at": utcnow()})
    con.execute(query("models_copy_evidence"), {**params, "note": note})


def last_own_suggestion_runs(
    con: Any, cluster_ids: list[str], *, run_id: str
) -> dict[str, tuple[str, str | None]]:
    """Cluster id → (run id, quarter) of the latest finished run other than ``run_id`` that
    computed the cluster's suggestions (not carried them forward). Clusters without one are
    absent."""
    if not cluster_ids:
        return {}
    rows = con.execute(
        query("models_last_own_suggestion_runs"), {"cluster_ids": cluster_ids, "run_id": run_id}
    ).fetchall()
    return {cluster_id: (run, quarter) for cluster_id, run, quarter in rows}
