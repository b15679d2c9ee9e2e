"""What the quarterly report and diff read: registry listings, site outcomes, signal shares and
each quarter's suggestions (SQL in ``warehouse/queries/quarterly_*.sql``).

Every function takes an open connection and only reads. "The quarter's suggestions" per
(cluster, dimension) come from the newest finished classification run of the quarter that
classified that cluster, the same rule as the review queue: a later partial run
(``classify --cluster X``) replaces X's suggestions and leaves everyone else's in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from clusterradar.warehouse.clusters import list_clusters
from clusterradar.warehouse.db import query
from clusterradar.warehouse.records import ClusterRecord, StoredSuggestion


@dataclass(slots=True)
class SiteOutcome:
    """The newest outcome of a cluster's website among the quarter's site crawls."""

    outcome: str
    seed_url: str | None
    detail: str | None
    pages: int | None


def cluster_facts(con: duckdb.DuckDBPyConnection) -> dict[str, ClusterRecord]:
    """Every cluster by id, for labelling report rows (name, Länder, website)."""
    return {c.cluster_id: c for c in list_clusters(con)}


def registry_listing(con: duckdb.DuckDBPyConnection, quarter: str) -> set[str] | None:
    """Clusters listed by the quarter's newest registry crawl that saw any; None when none did."""
    rows = con.execute(query("quarterly_registry_clusters"), {"quarter": quarter}).fetchall()
    return {r[0] for r in rows} if rows else None


def site_outcomes(con: duckdb.DuckDBPyConnection, quarter: str) -> dict[str, SiteOutcome]:
    rows = con.execute(query("quarterly_site_outcomes"), {"quarter": quarter}).fetchall()
    return {r[0]: SiteOutcome(*r[1:]) for r in rows}


def signal_counts(con: duckdb.DuckDBPyConnection, quarter: str) -> dict[str, tuple[int, int]]:
    """Per cluster (passages, passages with SVI lexicon terms) of the quarter's newest crawl."""
    rows = con.execute(query("quarterly_signal_shares"), {"quarter": quarter}).fetchall()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def top_suggestions(con: duckdb.DuckDBPyConnection, quarter: str) -> list[StoredSuggestion]:
    """Rank-1 suggestion per (cluster, dimension) of the quarter (see the module docstring),
    with its run's finishing time."""
    cursor = con.execute(query("quarterly_top_suggestions"), {"quarter": quarter})
    names = [d[0] for d in cursor.description]
    return [StoredSuggestion(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def ranked_scores(
    con: duckdb.DuckDBPyConnection, quarter: str
) -> dict[tuple[str, str, str], float]:
    """Score of every ranked label, keyed (cluster, dimension, label), from the same runs as
    :func:`top_suggestions`: what the quarter's model thought of a label it did not rank first."""
    rows = con.execute(query("quarterly_ranked_scores"), {"quarter": quarter}).fetchall()
    return {(r[0], r[1], r[2]): float(r[3]) for r in rows}
