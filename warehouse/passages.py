"""Storage of the text pipeline: extraction results, passages, lexicon matches and embeddings.

The one module that reads and writes ``snapshots``' extraction columns, ``passages``,
``passage_sets`` and ``embeddings`` (migration 0002). Every function takes an open connection;
callers choose the unit of work and the transaction (``with connect(db) as con,
transaction(con)``), so a batch of writes lands together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from clusterradar.warehouse.db import query


def _ids(cluster_ids: Iterable[str] | None) -> list[str] | None:
    return None if cluster_ids is None else list(cluster_ids)


# -- extraction ----------------------------------------------------------------------------
def pending_sites(con: Any, cluster_ids: Iterable[str] | None) -> list[tuple]:
    """(crawl_run_id, cluster_id, pages) of site crawls with pages not extracted yet."""
    return con.execute(query("pipeline_pending_sites"), [_ids(cluster_ids)]).fetchall()


def site_pages(con: Any, crawl_run_id: str, cluster_id: str) -> list[tuple]:
    """(snapshot_id, url, content_type, body) of one site crawl's pages."""
    return con.execute(query("pipeline_site_pages"), [crawl_run_id, cluster_id]).fetchall()


def fill_extraction(con: Any, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of (text, title, language, published, snapshot_id)."""
    if rows:
        con.executemany(query("pipeline_fill_extraction"), rows)


# -- passages ------------------------------------------------------------------------------
def snapshots_without_passages(con: Any, cluster_ids: Iterable[str] | None) -> list[str]:
    return [
        row[0]
        for row in con.execute(query("pipeline_pending_passages"), [_ids(cluster_ids)]).fetchall()
    ]


def snapshot_texts(con: Any, snapshot_ids: list[str]) -> list[tuple]:
    """(snapshot_id, cluster_id, url, page_kind, language, text) of the given snapshots."""
    return con.execute(query("pipeline_snapshot_texts"), [snapshot_ids]).fetchall()


def insert_passages(
    con: Any, passage_rows: Sequence[Sequence[Any]], set_rows: Sequence[Sequence[Any]]
) -> None:
    """Passages and the passage-set row that marks each snapshot as split."""
    if passage_rows:
        con.executemany(query("pipeline_insert_passage"), passage_rows)
    if set_rows:
        con.executemany(query("pipeline_insert_passage_set"), set_rows)


def snapshots_with_stale_lexicon(
    con: Any, lexicon_hash: str, cluster_ids: Iterable[str] | None
) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            query("pipeline_stale_lexicon_sets"), [lexicon_hash, _ids(cluster_ids)]
        ).fetchall()
    ]


def passages_of_snapshots(con: Any, snapshot_ids: list[str]) -> list[tuple]:
    """(snapshot_id, seq, text) of the given snapshots' passages."""
    return con.execute(query("pipeline_passages_of_snapshots"), [snapshot_ids]).fetchall()


def update_lexicon(
    con: Any, updates: Sequence[Sequence[Any]], lexicon_hash: str, snapshot_ids: list[str]
) -> None:
    """New (terms, score, snapshot_id, seq) per passage; the snapshots' sets get the hash."""
    if updates:
        con.executemany(query("pipeline_update_passage_lexicon"), updates)
    con.executemany(query("pipeline_update_set_lexicon"), [[lexicon_hash, s] for s in snapshot_ids])


def cluster_passage_rows(
    con: Any, cluster_ids: Iterable[str] | None, model_id: str | None
) -> list[tuple]:
    """The rows behind pipeline.store.cluster_passages (current passages per cluster)."""
    return con.execute(query("pipeline_cluster_passages"), [_ids(cluster_ids), model_id]).fetchall()


# -- embeddings ----------------------------------------------------------------------------
def unembedded_passages(
    con: Any, model_id: str, cluster_ids: Iterable[str] | None
) -> list[tuple[str, str]]:
    """(passage_hash, text) of passages without a vector of ``model_id``."""
    return con.execute(
        query("pipeline_unembedded_passages"), [model_id, _ids(cluster_ids)]
    ).fetchall()


def cached_embeddings(con: Any, model_id: str, hashes: list[str]) -> list[tuple[str, Any]]:
    """(passage_hash, vector) of the hashes that have a vector of ``model_id``."""
    return con.execute(query("pipeline_cached_embeddings"), [model_id, hashes]).fetchall()


def insert_embeddings(con: Any, model_id: str, vectors: Iterable[tuple[str, list[float]]]) -> None:
    con.executemany(
        query("pipeline_insert_embedding"), [[model_id, h, vector] for h, vector in vectors]
    )
