"""Writing classification runs, suggestions and their evidence (short transactions).

A run is opened as 'running', filled cluster batch by cluster batch (each batch one
transaction, so an interruption keeps whole clusters only) and closed as 'finished',
'interrupted' (Ctrl-C) or 'failed' (any other error). A rerun of an unfinished run skips the
clusters it already holds, so no suggestion is written twice.

A process that is killed outright (SIGKILL, power cut) cannot write its final status. While a
process writes a run it therefore holds the run's liveness lock (:func:`writing_run`); the
next ``classify`` marks every 'running' run whose lock nobody holds 'failed'
(:func:`fail_stale_runs`) before it decides what to resume.

Like every storage module, the functions take an open connection and run in the caller's
transaction. The exception is :func:`writing_run`, which spans the whole run: it takes the
warehouse file, because a run is written in many short connections (holding one for the run
would lock the review app out) and its liveness lock is a file beside the warehouse.
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
from clusterradar.warehouse.records import ClusterSuggestion


@dataclass(slots=True)
class RunRecord:
    run_id: str
    status: str
    parameters: dict


def find_runs(
    con: Any, quarter: str | None, model_version: str, training_data_hash: str
) -> list[RunRecord]:
    """Runs of this quarter, model version and training data, newest first."""
    rows = con.execute(
        query("models_find_run"), [quarter, model_version, training_data_hash]
    ).fetchall()
    return [RunRecord(r[0], r[1], json.loads(r[2]) if r[2] else {}) for r in rows]


def run_with_fingerprint(con: Any, code_version: str, fingerprint: str) -> tuple | None:
    """(run_id, model_version, training_data_hash, parameters) of the newest finished run of
    this code version whose inputs had ``fingerprint``, or None."""
    row = con.execute(query("models_run_by_fingerprint"), [code_version, fingerprint]).fetchone()
    if row is None:
        return None
    return row[0], row[1], row[2], json.loads(row[3]) if row[3] else {}


def new_run_id() -> str:
    return uuid.uuid4().hex


def open_run(
    con: Any,
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


def finish_run(con: Any, run_id: str, status: str = "finished") -> None:
    con.execute(query("models_finish_run"), [status, utcnow(), run_id])


def reopen_run(con: Any, run_id: str) -> None:
    """Mark an unfinished run 'running' again before resuming it (inside :func:`writing_run`)."""
    con.execute(query("models_reopen_run"), [run_id])


@contextlib.contextmanager
def writing_run(db_path: Path, run_id: str) -> Iterator[None]:
    """Hold the run's liveness lock while this process writes it, then record how it ended:
    'finished' when the block completes, 'interrupted' on Ctrl-C, 'failed' on any other error
    (re-raised unchanged), each in a short connection of its own. Raises RunBusyError if a
    live process is writing this run already."""
    with hold_run(Path(db_path), run_id):
        try:
            yield
        except KeyboardInterrupt:
            _finish_quietly(db_path, run_id, "interrupted")
            raise
        except BaseException:
            _finish_quietly(db_path, run_id, "failed")
            raise
        _finish(db_path, run_id, "finished")


def _finish(db_path: Path, run_id: str, status: str) -> None:
    with connect(db_path) as con, transaction(con):
        finish_run(con, run_id, status)


def _finish_quietly(db_path: Path, run_id: str, status: str) -> None:
    """Best effort while unwinding: the original error matters more (and a run left
    'running' is marked 'failed' by the next start anyway)."""
    with contextlib.suppress(Exception):
        _finish(db_path, run_id, status)


def fail_stale_runs(con: Any, db_path: Path) -> list[str]:
    """Mark 'failed' every 'running' run that no live process writes (its process was killed);
    returns their ids. ``db_path`` is the warehouse file ``con`` is open on (the liveness
    locks lie beside it). Call it in a transaction, so a run cannot finish or start half-way
    through the check."""
    stale = []
    for (run_id,) in con.execute(query("models_running_runs")).fetchall():
        if not run_is_alive(Path(db_path), run_id):
            finish_run(con, run_id, "failed")
            stale.append(run_id)
    return stale


def clusters_done(con: Any, run_id: str) -> set[str]:
    return {r[0] for r in con.execute(query("models_run_clusters_done"), [run_id]).fetchall()}


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


def run_suggestions(con: Any, run_id: str) -> list[tuple]:
    """(cluster_id, dimension, label_key, score, rank) of a run, ordered."""
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
