"""Load the paper's labels into the warehouse: clusters plus their first classification.

Loading is idempotent and append-only. The same files (by content hash) load nothing twice; a
changed file adds a *new* classification version for each cluster whose label changed (same
valid_from, later recording sequence, so it wins from that date on) and refreshes the facts of
paper clusters. Nothing is deleted or overwritten, so history always shows what the files said.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from clusterradar.errors import LabelValidationError
from clusterradar.labels import (
    LabelledCluster,
    Taxonomy,
    label_files_hash,
    load_labelled_clusters,
    load_taxonomy,
)
from clusterradar.warehouse.clusters import ClusterRecord, list_clusters
from clusterradar.warehouse.db import connect, migrate, query, transaction
from clusterradar.warehouse.history import record_version, utcnow

PAPER_DECIDED_BY = "VDI/VDE-IT (paper)"
DIMENSION = "intensity"  # the only dimension the paper labels


@dataclass(slots=True)
class LoadResult:
    """What one load did (ids of the clusters concerned)."""

    files_hash: str
    clusters_in_files: int
    clusters_inserted: list[str] = field(default_factory=list)
    clusters_updated: list[str] = field(default_factory=list)
    versions_created: list[str] = field(default_factory=list)
    clusters_not_in_files: list[str] = field(default_factory=list)
    already_loaded: bool = False
    load_id: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.clusters_inserted or self.clusters_updated or self.versions_created)


def data_hash(taxonomy: Taxonomy, clusters: list[LabelledCluster]) -> str:
    """Content hash of already loaded label data (for callers without the files at hand)."""
    payload = json.dumps(
        {"taxonomy": asdict(taxonomy), "clusters": [asdict(c) for c in clusters]},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _facts_differ(stored: ClusterRecord, cluster: LabelledCluster) -> bool:
    return (
        stored.name != cluster.name
        or list(stored.bundeslaender) != list(cluster.bundeslaender)
        or stored.website != cluster.website
        or stored.go_cluster != cluster.go_cluster
    )


def load_labels(
    con: duckdb.DuckDBPyConnection,
    taxonomy: Taxonomy,
    clusters: list[LabelledCluster],
    *,
    files_hash: str | None = None,
    now: dt.datetime | None = None,
) -> LoadResult:
    """Bring the warehouse in line with the label files; the caller owns the transaction.

    `files_hash` identifies the files' content (see ``clusterradar.labels.label_files_hash``);
    without it a hash of the loaded data is used. Cluster facts are refreshed only when the
    files changed (a new hash), so a rerun never undoes what a registry crawl updated since;
    facts of clusters that came from a registry crawl (origin other than 'paper') are left alone.
    Labels are compared with the latest paper version, so reverting a file works as expected.
    """
    _check_paper_intensity_scale(taxonomy, clusters)
    now = now or utcnow()
    files_hash = files_hash or data_hash(taxonomy, clusters)
    result = LoadResult(files_hash=files_hash, clusters_in_files=len(clusters))
    loaded_before = con.execute(query("labels_files_loaded"), {"files_hash": files_hash})
    result.already_loaded = bool(loaded_before.fetchone()[0])
    stored = {c.cluster_id: c for c in list_clusters(con)}
    latest = {
        row[0]: list(row[1])
        for row in con.execute(
            query("labels_latest_paper_versions"), {"dimension": DIMENSION}
        ).fetchall()
    }
    for cluster in clusters:
        _sync_cluster_facts(con, cluster, stored.get(cluster.id), result, now)
        if latest.get(cluster.id) != [cluster.intensity]:
            _record_paper_version(con, cluster, files_hash)
            result.versions_created.append(cluster.id)
    in_files = {c.id for c in clusters}
    result.clusters_not_in_files = sorted(
        cid for cid, rec in stored.items() if rec.origin == "paper" and cid not in in_files
    )
    if result.changed or not result.already_loaded:
        result.load_id = _record_load(con, result, len(clusters), now)
    return result


def _check_paper_intensity_scale(taxonomy: Taxonomy, clusters: list[LabelledCluster]) -> None:
    """LabelValidationError listing every cluster whose intensity is not on the paper's scale."""
    paper_keys = set(taxonomy.keys(DIMENSION, paper_only=True))
    wrong = [
        f"{c.id}: intensity '{c.intensity}'" for c in clusters if c.intensity not in paper_keys
    ]
    if wrong:
        raise LabelValidationError([f"not on the paper's intensity scale: {w}" for w in wrong])


def _sync_cluster_facts(
    con: duckdb.DuckDBPyConnection,
    cluster: LabelledCluster,
    record: ClusterRecord | None,
    result: LoadResult,
    now: dt.datetime,
) -> None:
    """Insert a new cluster; refresh a paper cluster's facts only when the files changed
    (keeping an old name as an alternative name). Registry-crawled clusters are left alone."""
    facts = {
        "cluster_id": cluster.id,
        "name": cluster.name,
        "bundeslaender": list(cluster.bundeslaender),
        "website": cluster.website,
        "go_cluster": cluster.go_cluster,
        "now": now,
    }
    if record is None:
        con.execute(query("labels_insert_cluster"), facts)
        result.clusters_inserted.append(cluster.id)
    elif not result.already_loaded and record.origin == "paper" and _facts_differ(record, cluster):
        alt_names = list(record.alt_names)
        if record.name != cluster.name and record.name not in alt_names:
            alt_names.append(record.name)
        con.execute(query("labels_update_cluster"), {**facts, "alt_names": alt_names})
        result.clusters_updated.append(cluster.id)


def _record_paper_version(
    con: duckdb.DuckDBPyConnection, cluster: LabelledCluster, files_hash: str
) -> None:
    """A new intensity version from the paper, valid from the label's month."""
    valid_from = cluster.valid_from
    record_version(
        con,
        cluster_id=cluster.id,
        dimension=DIMENSION,
        labels=[cluster.intensity],
        valid_from=valid_from,
        source="paper",
        source_ref=files_hash,
        decided_by=PAPER_DECIDED_BY,
        decided_at=dt.datetime.combine(valid_from, dt.time()),
    )


def _record_load(
    con: duckdb.DuckDBPyConnection, result: LoadResult, clusters: int, now: dt.datetime
) -> str:
    """Append this load to the label-load log; returns its id."""
    load_id = uuid.uuid4().hex
    con.execute(
        query("labels_record_load"),
        {
            "load_id": load_id,
            "files_hash": result.files_hash,
            "loaded_at": now,
            "clusters": clusters,
            "new_versions": len(result.versions_created),
        },
    )
    return load_id


@dataclass(slots=True)
class InitResult:
    """What `clusterradar init` did: the migration and the label load."""

    schema_version: int
    migrations_applied: list[int]
    load: LoadResult


def initialise_warehouse(
    db: Path | str,
    taxonomy_path: Path | str | None = None,
    clusters_path: Path | str | None = None,
    *,
    timeout: float = 30.0,
) -> InitResult:
    """Validate the label files, create or migrate `db`, then load the labels in one transaction.

    The labels are validated first, so a broken label file leaves the warehouse untouched; a
    newer-schema or non-DuckDB file is refused by ``migrate`` before anything changes.
    """

    taxonomy = load_taxonomy(taxonomy_path)
    clusters = load_labelled_clusters(clusters_path, taxonomy)
    files_hash = label_files_hash(taxonomy_path, clusters_path)
    version, applied = migrate(db, timeout=timeout)
    with connect(db, timeout=timeout) as con, transaction(con):
        load = load_labels(con, taxonomy, clusters, files_hash=files_hash)
    return InitResult(schema_version=version, migrations_applied=applied, load=load)
