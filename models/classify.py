"""`clusterradar classify`: suggestions for every cluster in all four dimensions, in the warehouse.

Idempotent per quarter: a finished run for the same quarter, model version, training data and
input (the clusters and their passages) is returned as it is; an unfinished one (interrupted,
failed, or left 'running' by a killed process) is resumed, skipping clusters it already holds,
so an interrupted run never duplicates suggestions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from clusterradar.errors import NotFoundError
from clusterradar.labels import load_labelled_clusters
from clusterradar.models.corpus import (
    embed_passages,
    load_text_kit,
    passages_of_documents,
    table_document,
)
from clusterradar.models.features import ClusterMeta
from clusterradar.models.train import code_version, train_model
from clusterradar.pipeline.store import cluster_passages
from clusterradar.quarters import normalise_quarter
from clusterradar.settings import Settings
from clusterradar.warehouse import connect
from clusterradar.warehouse import suggestions as store
from clusterradar.warehouse.clusters import ClusterRecord, list_clusters

BATCH_CLUSTERS = 10


@dataclass(slots=True)
class ClassifyResult:
    run_id: str
    clusters: int
    suggestions: int
    model_version: str
    training_data_hash: str
    reused: bool


def _clusters(db_path: Path, cluster_ids: list[str] | None) -> list[ClusterRecord]:
    with connect(db_path, read_only=True) as con:
        records = list_clusters(con)
    if cluster_ids:
        records = [r for r in records if r.cluster_id in set(cluster_ids)]
        missing = sorted(set(cluster_ids) - {r.cluster_id for r in records})
        if missing:
            raise NotFoundError(f"unknown cluster id(s): {', '.join(missing)}")
    return records


def _cluster_texts(
    settings: Settings, db_path: Path, records: list[ClusterRecord]
) -> dict[str, list]:
    """Warehouse passages + table text of each cluster, embedded through the cache."""
    kit = load_text_kit(settings)
    paper = {c.id: c for c in load_labelled_clusters()}
    ids = [r.cluster_id for r in records]
    with connect(db_path, read_only=True) as con:
        crawled = cluster_passages(con, ids, kit.embedder.model_id)
    documents = [
        table_document(
            r.cluster_id,
            r.name,
            paper[r.cluster_id].teilbereiche
            if r.cluster_id in paper
            else ", ".join(r.technologiefelder or []),
            r.in_go_cluster,
        )
        for r in records
    ]
    table = passages_of_documents(kit, documents)
    texts = {cid: crawled.get(cid, []) + table.get(cid, []) for cid in ids}
    return embed_passages(kit, texts, db_path)


def _cluster_meta(records: list[ClusterRecord]) -> dict[str, ClusterMeta]:
    """Registry name and go-cluster status per cluster (the profile features read them)."""
    return {r.cluster_id: ClusterMeta(r.name, r.in_go_cluster) for r in records}


def earlier_crawl_notes(texts: dict[str, list]) -> dict[str, str]:
    """Clusters whose passages come from an earlier crawl (latest one down or empty) → why."""
    notes: dict[str, str] = {}
    for cluster_id, passages in texts.items():
        note = next((n for p in passages if (n := getattr(p, "earlier_crawl_note", None))), None)
        if note:
            notes[cluster_id] = note
    return notes


def _with_crawl_note(reason: str, snapshot_id: str | None, notes: dict[str, str]) -> str:
    """The evidence reason, plus where the passage came from when it is from an old crawl."""
    note = notes.get(snapshot_id) if snapshot_id else None
    return f"{reason}; {note}" if note else reason


def _input_hash(texts: dict[str, list]) -> str:
    payload = {
        cid: sorted(p.passage_hash for p in passages) for cid, passages in sorted(texts.items())
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def classify_clusters(
    settings: Settings,
    *,
    cluster_ids: list[str] | None = None,
    quarter: str | None = None,
    progress: bool = True,
) -> ClassifyResult:
    """Train if needed, then write one run of suggestions (or return the matching existing run)."""
    quarter = normalise_quarter(quarter)
    db_path = Path(settings.db)
    rows = _clusters(db_path, cluster_ids)
    store.fail_stale_runs(db_path)  # runs of killed processes say 'failed', not 'running'
    trained = train_model(settings)
    texts = _cluster_texts(settings, db_path, rows)
    input_hash = _input_hash(texts)
    runs = store.find_runs(db_path, quarter, trained.version, trained.training_data_hash)
    same_input = [r for r in runs if r.parameters.get("input_hash") == input_hash]
    finished = next((r for r in same_input if r.status == "finished"), None)
    if finished is not None:
        count = len(store.run_suggestions(db_path, finished.run_id))
        return ClassifyResult(
            finished.run_id, len(rows), count, trained.version, trained.training_data_hash, True
        )
    unfinished = next((r for r in same_input if r.status != "finished"), None)
    run_id = unfinished.run_id if unfinished is not None else store.new_run_id()
    # Marks the run finished, interrupted (Ctrl-C) or failed; a live writer of it is refused.
    with store.writing_run(db_path, run_id):
        if unfinished is not None:
            store.reopen_run(db_path, run_id)
        else:
            store.open_run(
                db_path,
                run_id=run_id,
                quarter=quarter,
                model_version=trained.version,
                code_version=code_version(),
                training_data_hash=trained.training_data_hash,
                parameters={
                    "input_hash": input_hash,
                    "clusters": sorted(texts),
                    "classifier": settings.models.classifier,
                    "embedding_model": settings.nlp.embedding_model,
                    "seed": settings.models.seed,
                    # Clusters whose latest crawl yielded no text (site down, empty): their
                    # suggestions rest on an earlier crawl's passages, noted in every evidence row.
                    "earlier_crawl": earlier_crawl_notes(texts),
                },
            )
        done = store.clusters_done(db_path, run_id)
        todo = [cid for cid in sorted(texts) if cid not in done and texts[cid]]
        _write(settings, db_path, run_id, trained, texts, _cluster_meta(rows), todo, progress)
    count = len(store.run_suggestions(db_path, run_id))
    return ClassifyResult(
        run_id, len(rows), count, trained.version, trained.training_data_hash, False
    )


def _write(settings, db_path, run_id, trained, texts, metas, todo, progress) -> None:
    from rich.progress import Progress

    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("classifying", total=len(todo))
        for start in range(0, len(todo), BATCH_CLUSTERS):
            batch = todo[start : start + BATCH_CLUSTERS]
            rows = []
            for cluster_id in batch:
                result = trained.model.suggest(cluster_id, texts[cluster_id], metas.get(cluster_id))
                notes = {
                    p.snapshot_id: p.earlier_crawl_note
                    for p in texts[cluster_id]
                    if getattr(p, "earlier_crawl_note", None) and p.snapshot_id
                }
                rows.extend(
                    store.SuggestionRow(
                        cluster_id=cluster_id,
                        dimension=s.dimension,
                        label_key=s.label_key,
                        score=s.score,
                        rank=s.rank,
                        evidence=[
                            store.EvidenceRow(
                                e.rank,
                                e.url,
                                e.snapshot_id,
                                e.passage,
                                _with_crawl_note(e.reason, e.snapshot_id, notes),
                                e.score,
                            )
                            for e in s.evidence
                        ],
                    )
                    for s in result.suggestions
                )
            store.write_suggestions(
                db_path,
                run_id,
                rows,
                model_version=trained.version,
                training_data_hash=trained.training_data_hash,
            )
            bar.advance(task, len(batch))
