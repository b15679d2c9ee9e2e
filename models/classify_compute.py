"""The full path of a classification run: the model, the text kit and the vectors.

:mod:`clusterradar.models.classify` imports this module only when some cluster must be
computed or the run's inputs differ from every finished run's: an unchanged quarter never
loads scikit-learn, spaCy or the embedder (issue 17).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from clusterradar.labels import load_labelled_clusters
from clusterradar.models.classify_inputs import RunInputs
from clusterradar.models.cluster_model import ClusterSuggestions
from clusterradar.models.corpus import (
    TextKit,
    embed_passages,
    load_text_kit,
    passages_of_documents,
    table_document,
)
from clusterradar.models.features import ClusterMeta
from clusterradar.models.train import TrainedModel, train_model
from clusterradar.settings import Settings
from clusterradar.warehouse.clusters import ClusterRecord
from clusterradar.warehouse.records import AxisScoreRecord, ClusterSuggestion


def prepare(
    settings: Settings,
    records: list[ClusterRecord],
    crawled: dict[str, list],
    fingerprint: str,
) -> tuple[RunInputs, Scoring]:
    """Train (or load) the model, add each cluster's table text to its passages and hash the
    passage sets: the run's inputs, and what computing a cluster needs."""
    trained = train_model(settings)
    kit = load_text_kit(settings)
    texts = _cluster_texts(kit, records, crawled)
    metas = _cluster_meta(records)
    hashes = {cid: passages_hash(passages, metas.get(cid)) for cid, passages in texts.items()}
    inputs = RunInputs(
        model_version=trained.version,
        training_data_hash=trained.training_data_hash,
        input_hash=_input_hash(texts),
        clusters=sorted(texts),
        passages_hashes={cid: hashes[cid] for cid in texts if texts[cid]},
        earlier_crawl=earlier_crawl_notes(texts),
        fingerprint=fingerprint,
    )
    return inputs, Scoring(kit, trained, texts, metas)


def _cluster_texts(
    kit: TextKit, records: list[ClusterRecord], crawled: dict[str, list]
) -> dict[str, list]:
    """Warehouse passages + table text of each cluster, without vectors (those are read per
    batch in :func:`_write`: a whole registry's vectors would not fit in memory)."""
    paper = {c.id: c for c in load_labelled_clusters()}
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
    return {
        r.cluster_id: crawled.get(r.cluster_id, []) + table.get(r.cluster_id, []) for r in records
    }


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


def passages_hash(passages: list, meta: ClusterMeta | None) -> str:
    """Content hash of what the model reads of one cluster: its passages (text hash, the page
    kind that weights them, the URL the evidence cites) and the registry facts the profile
    features use. Equal hashes and the same model version give the same suggestions, so a run
    may copy them instead of computing them again. Snapshot ids are left out: a recrawl that
    finds every page unchanged must hash the same."""
    payload = {
        "passages": sorted({(p.passage_hash, p.page_kind or "", p.url or "") for p in passages}),
        "meta": [meta.name, meta.go_cluster] if meta is not None else None,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass(slots=True)
class Scoring:
    """What computing a cluster needs: the model, the text kit and the clusters' texts."""

    kit: TextKit
    trained: TrainedModel
    texts: dict[str, list]
    metas: dict[str, ClusterMeta]
    read: dict[str, list] = dataclasses.field(default_factory=dict)  # passages with vectors

    def holds(self, cluster_id: str) -> bool:
        """Whether the vectors of `cluster_id` have been read (:meth:`read_vectors`)."""
        return cluster_id in self.read

    def read_vectors(self, db_path: Path, cluster_ids: list[str]) -> None:
        """Read the vectors of `cluster_ids` now, in one query, for the batches that follow.

        Each read scans the warehouse's vector column wherever the wanted passages lie (they
        were written shortest first, not by cluster): about 250 ms for 3,000 passages or for
        36,000 alike, so reading per write batch of 10 clusters cost 45 reads at registry
        size (11 s of classify, issue 17). A window of clusters keeps memory bounded all the
        same (about 70 MB of vectors for 120 clusters)."""
        self.read = embed_passages(self.kit, {c: self.texts[c] for c in cluster_ids}, db_path)

    def score(
        self, db_path: Path, run_id: str, hashes: dict[str, str], cluster_ids: list[str]
    ) -> tuple[list[ClusterSuggestion], list[AxisScoreRecord]]:
        """Suggestions and axis scores of ``cluster_ids`` (``hashes``: their passage-set
        hashes), their vectors taken from the window read last or else read for them only."""
        trained = self.trained
        unread = {c: self.texts[c] for c in cluster_ids if c not in self.read}
        fresh = embed_passages(self.kit, unread, db_path) if unread else {}
        embedded = {c: self.read.pop(c) if c in self.read else fresh[c] for c in cluster_ids}
        rows: list[ClusterSuggestion] = []
        axis_rows: list[AxisScoreRecord] = []
        for cluster_id, passages in embedded.items():
            result = trained.model.suggest(cluster_id, passages, self.metas.get(cluster_id))
            rows.extend(_suggestion_rows(cluster_id, result, passages))
            if result.axes is not None:
                axis_rows.append(
                    _axis_record(run_id, cluster_id, trained.version, hashes[cluster_id], result)
                )
        return rows, axis_rows


def _suggestion_rows(cluster_id: str, result: ClusterSuggestions, passages: list):
    """The cluster's suggestions, each evidence reason saying when its page is from an old
    crawl (the site is down now)."""
    notes = {
        p.snapshot_id: p.earlier_crawl_note
        for p in passages
        if getattr(p, "earlier_crawl_note", None) and p.snapshot_id
    }
    for s in result.suggestions:
        evidence = tuple(
            dataclasses.replace(e, reason=_with_crawl_note(e.reason, e.snapshot_id, notes))
            for e in s.evidence
        )
        yield ClusterSuggestion(cluster_id, dataclasses.replace(s, evidence=evidence))


def _axis_record(
    run_id: str, cluster_id: str, model_version: str, passages_hash: str, result
) -> AxisScoreRecord:
    axes = result.axes
    technology, security = result.axis_evidence
    return AxisScoreRecord(
        run_id=run_id,
        cluster_id=cluster_id,
        model_version=model_version,
        passages_hash=passages_hash,
        technology_potential=float(axes.technology),
        security_orientation=float(axes.security),
        relevance=float(axes.relevance),
        outcome=result.top("intensity").label_key,
        technology_evidence=technology,
        security_evidence=security,
    )
