"""Storage of each cluster's axis scores per classification run (table ``axis_scores``, 0008).

``classify`` writes one row per cluster and run: technology potential T, security orientation
S, the relevance the gate reads, the outcome (rank-1 intensity label) and the top passages of
each axis as JSON. The review app reads them with :func:`axis_scores_in_run`. The row is also
the key of reuse: (``model_version``, ``passages_hash``) says which model scored which passage
set, so an unchanged cluster's classification is copied instead of computed again
(:func:`reusable_runs`). Functions take an open connection; the caller chooses the transaction.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

from clusterradar.warehouse.db import query
from clusterradar.warehouse.history import utcnow
from clusterradar.warehouse.records import AxisScoreRecord, Evidence

_EVIDENCE_FIELDS = tuple(f.name for f in dataclasses.fields(Evidence))


def _evidence_json(record: AxisScoreRecord) -> str:
    return json.dumps(
        {
            "technology": [dataclasses.asdict(e) for e in record.technology_evidence],
            "security": [dataclasses.asdict(e) for e in record.security_evidence],
        },
        ensure_ascii=False,
    )


def _evidence_of(items: list[dict] | None) -> tuple[Evidence, ...]:
    return tuple(Evidence(**{k: item.get(k) for k in _EVIDENCE_FIELDS}) for item in items or [])


def insert_axis_scores(con: Any, run_id: str, records: Iterable[AxisScoreRecord]) -> int:
    """Append the rows of one batch of clusters in one statement; returns rows written."""
    rows = list(records)
    if not rows:
        return 0
    con.execute(
        query("models_insert_axis_scores"),
        {
            "run_id": run_id,
            "cluster_id": [r.cluster_id for r in rows],
            "model_version": [r.model_version for r in rows],
            "passages_hash": [r.passages_hash for r in rows],
            "technology_potential": [r.technology_potential for r in rows],
            "security_orientation": [r.security_orientation for r in rows],
            "relevance": [r.relevance for r in rows],
            "outcome": [r.outcome for r in rows],
            "evidence": [_evidence_json(r) for r in rows],
            "carried_from_run": [r.carried_from_run for r in rows],
            "note": [r.note for r in rows],
            "created_at": utcnow(),
        },
    )
    return len(rows)


def axis_scores_in_run(
    con: Any, run_id: str, cluster_ids: list[str] | None = None
) -> dict[str, AxisScoreRecord]:
    """The axis scores of ``run_id`` by cluster id, for ``cluster_ids`` (None: every cluster of
    the run). A cluster the run did not score is absent. A row carried forward from a run
    before migration 0008 has ``None`` scores and no evidence, but its ``note``."""
    cursor = con.execute(
        query("models_axis_scores_in_run"), {"run_id": run_id, "cluster_ids": cluster_ids}
    )
    found = {}
    for row in cursor.fetchall():
        (run, cluster_id, version, passages_hash, t, s, relevance, outcome, evidence) = row[:9]
        carried_from_run, note = row[9:]
        parts = json.loads(evidence) if evidence else {}
        found[cluster_id] = AxisScoreRecord(
            run_id=run,
            cluster_id=cluster_id,
            model_version=version,
            passages_hash=passages_hash,
            technology_potential=t,
            security_orientation=s,
            relevance=relevance,
            outcome=outcome,
            technology_evidence=_evidence_of(parts.get("technology")),
            security_evidence=_evidence_of(parts.get("security")),
            carried_from_run=carried_from_run,
            note=note,
        )
    return found


def reusable_runs(
    con: Any, model_version: str, passages_hashes: dict[str, str], *, run_id: str
) -> dict[str, str]:
    """Cluster id → the latest finished run (not ``run_id``) in which ``model_version``
    classified the cluster from exactly the passage set ``passages_hashes[cluster_id]``.
    Clusters without one are absent."""
    if not passages_hashes:
        return {}
    ids = sorted(passages_hashes)
    rows = con.execute(
        query("models_reusable_runs"),
        {
            "cluster_ids": ids,
            "passages_hashes": [passages_hashes[c] for c in ids],
            "model_version": model_version,
            "run_id": run_id,
        },
    ).fetchall()
    return dict(rows)


def copy_axis_scores(
    con: Any, *, from_run: str, to_run: str, cluster_ids: list[str], note: str | None
) -> None:
    """Copy the clusters' rows from ``from_run`` into ``to_run``, marked as carried from it
    with ``note`` (what :func:`clusterradar.warehouse.suggestions.copy_suggestions` copies)."""
    con.execute(
        query("models_copy_axis_scores"),
        {
            "from_run": from_run,
            "to_run": to_run,
            "cluster_ids": cluster_ids,
            "note": note,
            "created_at": utcnow(),
        },
    )
