"""Read helpers for the `clusters` table, shared by every command that names a cluster.

Users name clusters by id ('photonics-bw') or by name ('Silicon Saxony e. V.'); this module is
the one place that resolves such a name, so every command accepts the same spellings and gives
the same helpful error.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

import duckdb

from clusterradar.errors import NotFoundError
from clusterradar.urls import normalise_name
from clusterradar.warehouse.db import query
from clusterradar.warehouse.records import ClusterRecord


def _select(con: duckdb.DuckDBPyConnection, cluster_id: str | None) -> list[ClusterRecord]:
    cursor = con.execute(query("clusters_list"), {"cluster_id": cluster_id})
    names = [d[0] for d in cursor.description]
    return [ClusterRecord(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def get_cluster(con: duckdb.DuckDBPyConnection, cluster_id: str) -> ClusterRecord | None:
    """The cluster with exactly this id, or None."""
    found = _select(con, cluster_id)
    return found[0] if found else None


def list_clusters(con: duckdb.DuckDBPyConnection) -> list[ClusterRecord]:
    """All clusters, ordered by id."""
    return _select(con, None)


def require_cluster(con: duckdb.DuckDBPyConnection, id_or_name: str) -> ClusterRecord:
    """Resolve a user's reference: an exact id, else a unique case-insensitive name or alternative
    name, else a unique name that starts with the reference word by word ('silicon saxony'
    finds 'Silicon Saxony e. V.'). Raises NotFoundError naming candidates when the reference is
    unknown or ambiguous."""
    found = get_cluster(con, id_or_name.strip())
    if found is not None:
        return found
    clusters = list_clusters(con)
    wanted_exact = id_or_name.strip().casefold()
    wanted_loose = normalise_name(id_or_name)
    for matches_name in (
        lambda n: n.strip().casefold() == wanted_exact,
        lambda n: bool(wanted_loose) and normalise_name(n) == wanted_loose,
        lambda n: bool(wanted_loose) and (normalise_name(n) + " ").startswith(wanted_loose + " "),
    ):
        matches = [c for c in clusters if any(matches_name(n) for n in [c.name, *c.alt_names])]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(f"{c.cluster_id} ({c.name})" for c in matches[:10])
            raise NotFoundError(f"'{id_or_name}' matches several clusters: {listed}; use the id")
    if not clusters:
        raise NotFoundError(
            f"no cluster '{id_or_name}': the warehouse has no clusters yet; run 'clusterradar init'"
        )
    choices = {c.cluster_id: c.cluster_id for c in clusters}
    choices.update({c.name.casefold(): c.cluster_id for c in clusters})
    close = difflib.get_close_matches(id_or_name.casefold(), list(choices), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(sorted({choices[c] for c in close}))}?" if close else ""
    raise NotFoundError(f"no cluster with id or name '{id_or_name}'{hint}")


def require_cluster_ids(
    con: duckdb.DuckDBPyConnection, cluster_ids: list[str], flag: str
) -> list[str]:
    """`cluster_ids` unchanged when each is the exact id of a cluster in the warehouse, else a
    NotFoundError naming every unknown one (with close ids), so a command limited to clusters
    fails before it writes anything instead of quietly doing nothing."""
    known = {c.cluster_id for c in list_clusters(con)}
    unknown = [cluster_id for cluster_id in dict.fromkeys(cluster_ids) if cluster_id not in known]
    if not unknown:
        return cluster_ids
    if not known:
        raise NotFoundError(
            f"{flag}: the warehouse has no clusters yet; run 'clusterradar init' first"
        )
    close = sorted({m for u in unknown for m in difflib.get_close_matches(u, known, n=3)})
    hint = f"; did you mean {', '.join(close)}?" if close else "; see 'clusterradar clusters list'"
    listed = ", ".join(repr(u) for u in unknown)
    raise NotFoundError(f"{flag}: no cluster with id {listed}{hint}")


@dataclass(slots=True)
class HistoryEntry:
    """One classification version of a cluster, with German labels for display."""

    version_id: str
    dimension: str
    labels: list[str]
    labels_de: list[str]
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    source_ref: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    model_version: str | None
    evidence_urls: list[str]
    recorded_at: dt.datetime
    comment: str | None


def cluster_history(
    con: duckdb.DuckDBPyConnection, cluster_id: str, taxonomy
) -> list[HistoryEntry]:
    """All classification versions of a cluster, per dimension oldest first (ties: recording
    order); `valid_to` is derived from the next version, so the newest is open-ended."""
    cursor = con.execute(query("clusters_history"), {"cluster_id": cluster_id})
    names = [d[0] for d in cursor.description]
    entries = []
    for row in cursor.fetchall():
        data = dict(zip(names, row, strict=True))
        labels = list(data.pop("labels"))
        data["evidence_urls"] = list(data["evidence_urls"] or [])
        labels_de = [taxonomy.label_de(data["dimension"], key) or key for key in labels]
        entries.append(HistoryEntry(labels=labels, labels_de=labels_de, **data))
    return entries


def point_website(con: duckdb.DuckDBPyConnection, cluster_id: str, website: str) -> None:
    """Point a cluster at another website. Only for the offline demo and tests, whose loopback
    sample web cannot serve the paper clusters' real hosts (a registry match keeps a paper
    cluster's curated website)."""
    con.execute(query("clusters_point_website"), {"website": website, "cluster_id": cluster_id})
