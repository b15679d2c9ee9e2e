"""Storage of the text pipeline: extraction results, passages, lexicon matches and embeddings.

The one module that reads and writes ``snapshots``' extraction columns, ``passages``,
``passage_sets`` and ``embeddings`` (migration 0002). Every function takes an open connection;
callers choose the unit of work and the transaction (``with connect(db) as con,
transaction(con)``), so a batch of writes lands together or not at all.

Writes are bulk: each batch becomes one Arrow table, registered on the connection under the
name its ``.sql`` file reads from, and lands in one set-based statement. Row-by-row
``executemany`` cost 40-70x more per row (issue 17).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from clusterradar.warehouse.db import query


def _ids(cluster_ids: Iterable[str] | None) -> list[str] | None:
    return None if cluster_ids is None else list(cluster_ids)


@contextlib.contextmanager
def _registered(con: Any, name: str, columns: dict[str, Any]) -> Iterator[None]:
    """``columns`` (name -> pyarrow array or list) visible to the next statements as ``name``."""
    import pyarrow as pa  # heavy; only the writing stages need it

    con.register(name, pa.table(columns))
    try:
        yield
    except BaseException:
        # A failed statement aborts the transaction, and DuckDB then refuses the unregister
        # too: that error must not hide the one that matters (a later register replaces it).
        with contextlib.suppress(Exception):
            con.unregister(name)
        raise
    con.unregister(name)


def _column(rows: Sequence[Sequence[Any]], index: int) -> list[Any]:
    return [row[index] for row in rows]


# -- extraction ----------------------------------------------------------------------------
def pending_sites(con: Any, cluster_ids: Iterable[str] | None) -> list[tuple]:
    """(crawl_run_id, cluster_id, pages, snapshot_ids) of site crawls with pages not extracted
    yet; ``snapshot_ids`` (in page order) is what :func:`site_pages` takes."""
    return con.execute(query("pipeline_pending_sites"), [_ids(cluster_ids)]).fetchall()


def site_pages(con: Any, snapshot_ids: list[str]) -> list[tuple]:
    """(snapshot_id, url, content_type, body) of the given snapshots not extracted yet."""
    return con.execute(query("pipeline_site_pages"), [snapshot_ids]).fetchall()


def fill_extraction(con: Any, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of (text, title, language, published, snapshot_id), written in one statement (the
    columns travel as DuckDB list parameters: no pyarrow, hence no pandas, in this step)."""
    if not rows:
        return
    con.execute(query("pipeline_fill_extraction"), [_column(rows, i) for i in (4, 0, 1, 2, 3)])


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
    """Passages and the passage-set row that marks each snapshot as split.

    ``passage_rows``: (snapshot_id, cluster_id, seq, passage_hash, text, lemmas, lexicon_terms,
    lexicon_score, page_kind, url, language, technology_terms); ``set_rows``: (snapshot_id,
    passages, lexicon_hash, nlp_pipeline, technology_hash). Two statements, whatever the
    number of rows.
    """
    import pyarrow as pa

    if passage_rows:
        names = ("snapshot_id", "cluster_id", "seq", "passage_hash", "text", "lemmas")
        types = (pa.string(), pa.string(), pa.int32(), pa.string(), pa.string(), pa.string())
        columns = {
            n: pa.array(_column(passage_rows, i), t)
            for i, (n, t) in enumerate(zip(names, types, strict=True))
        }
        columns["lexicon_terms"] = pa.array(_column(passage_rows, 6), pa.list_(pa.string()))
        columns["lexicon_score"] = pa.array(_column(passage_rows, 7), pa.float64())
        for i, name in enumerate(("page_kind", "url", "language"), start=8):
            columns[name] = pa.array(_column(passage_rows, i), pa.string())
        columns["technology_terms"] = pa.array(_column(passage_rows, 11), pa.list_(pa.string()))
        with _registered(con, "new_passages", columns):
            con.execute(query("pipeline_insert_passage"))
    if set_rows:
        columns = {
            "snapshot_id": pa.array(_column(set_rows, 0), pa.string()),
            "passages": pa.array(_column(set_rows, 1), pa.int32()),
            "lexicon_hash": pa.array(_column(set_rows, 2), pa.string()),
            "nlp_pipeline": pa.array(_column(set_rows, 3), pa.string()),
            "technology_hash": pa.array(_column(set_rows, 4), pa.string()),
        }
        with _registered(con, "new_passage_sets", columns):
            con.execute(query("pipeline_insert_passage_set"))


def snapshots_with_stale_lexicon(
    con: Any, lexicon_hash: str, cluster_ids: Iterable[str] | None, technology_hash: str
) -> list[str]:
    """Split snapshots whose SVI lexicon columns or technology terms were matched with
    another lexicon file than ``lexicon_hash`` / ``technology_hash`` (or not at all)."""
    return [
        row[0]
        for row in con.execute(
            query("pipeline_stale_lexicon_sets"), [lexicon_hash, _ids(cluster_ids), technology_hash]
        ).fetchall()
    ]


def passages_of_snapshots(con: Any, snapshot_ids: list[str]) -> list[tuple]:
    """(snapshot_id, seq, text) of the given snapshots' passages."""
    return con.execute(query("pipeline_passages_of_snapshots"), [snapshot_ids]).fetchall()


def update_lexicon(
    con: Any,
    updates: Sequence[Sequence[Any]],
    lexicon_hash: str,
    snapshot_ids: list[str],
    technology_hash: str,
) -> None:
    """New (terms, score, snapshot_id, seq, technology_terms) per passage; the snapshots' sets
    get both lexicons' hashes."""
    import pyarrow as pa

    if updates:
        columns = {
            "snapshot_id": pa.array(_column(updates, 2), pa.string()),
            "seq": pa.array(_column(updates, 3), pa.int32()),
            "lexicon_terms": pa.array(_column(updates, 0), pa.list_(pa.string())),
            "lexicon_score": pa.array(_column(updates, 1), pa.float64()),
            "technology_terms": pa.array(_column(updates, 4), pa.list_(pa.string())),
        }
        with _registered(con, "new_lexicon", columns):
            con.execute(query("pipeline_update_passage_lexicon"))
    if snapshot_ids:
        con.execute(
            query("pipeline_update_set_lexicon"),
            [lexicon_hash, list(snapshot_ids), technology_hash],
        )


def cluster_passage_rows(
    con: Any,
    cluster_ids: Iterable[str] | None,
    model_id: str | None,
    technology_hash: str | None = None,
) -> list[tuple]:
    """The rows behind pipeline.store.cluster_passages (current passages per cluster); the
    technology terms only where they were matched with the lexicon of ``technology_hash``."""
    sql = query("pipeline_current_pages") + query("pipeline_cluster_passages")
    return _rows_with_vectors(con, sql, [_ids(cluster_ids), model_id, technology_hash], "vector")


def cluster_passage_key_rows(con: Any, cluster_ids: Iterable[str] | None) -> list[tuple]:
    """The rows behind pipeline.store.cluster_passage_keys: per current passage its cluster,
    page kind, hash, URL and crawl dates, in cluster_passage_rows' order."""
    sql = query("pipeline_current_pages") + query("pipeline_cluster_passage_keys")
    return con.execute(sql, [_ids(cluster_ids)]).fetchall()


# -- embeddings ----------------------------------------------------------------------------
def any_unembedded(con: Any, model_id: str, cluster_ids: Iterable[str] | None) -> bool:
    """Whether some passage has no vector of ``model_id`` (without reading any text)."""
    return bool(
        con.execute(query("pipeline_any_unembedded"), [model_id, _ids(cluster_ids)]).fetchone()[0]
    )


def unembedded_passages(
    con: Any, model_id: str, cluster_ids: Iterable[str] | None
) -> list[tuple[str, str]]:
    """(passage_hash, text) of passages without a vector of ``model_id``."""
    return con.execute(
        query("pipeline_unembedded_passages"), [model_id, _ids(cluster_ids)]
    ).fetchall()


def cached_embeddings(con: Any, model_id: str, hashes: list[str]) -> list[tuple[str, Any]]:
    """(passage_hash, vector) of the hashes that have a vector of ``model_id``; each vector a
    float32 array."""
    found = _rows_with_vectors(
        con, query("pipeline_cached_embeddings"), [model_id, hashes], "vector"
    )
    return found  # type: ignore[return-value]


def _rows_with_vectors(con: Any, sql: str, params: list[Any], vector_column: str) -> list[tuple]:
    """The rows of ``sql`` as tuples, with ``vector_column`` as float32 arrays (None where NULL).

    The vectors travel through Arrow into one NumPy buffer that every row's vector is a view
    of: ``fetchall`` turned each of 137k vectors into 512 Python floats before NumPy copied
    them back, which was most of classify's reading time at registry size (issue 17).
    """
    import numpy as np

    with warnings.catch_warnings():
        # DuckDB warns that Arrow from an execute() result copies the rows once more (in C++);
        # its relation API would not, but refuses to run while this connection holds an
        # unfinished result of an earlier fetchone(), which the warehouse code does throughout.
        warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
        table = con.execute(sql, params).to_arrow_table()
    columns: list[list[Any]] = []
    for name in table.column_names:
        if name != vector_column:
            columns.append(table.column(name).to_pylist())
            continue
        vectors = table.column(name).combine_chunks()
        offsets = vectors.offsets.to_numpy()
        values = np.array(vectors.values.to_numpy(zero_copy_only=False), dtype=np.float32)
        valid = vectors.is_valid().to_numpy(zero_copy_only=False)
        columns.append(
            [
                values[start:end] if ok else None
                for start, end, ok in zip(offsets[:-1], offsets[1:], valid, strict=True)
            ]
        )
    return list(zip(*columns, strict=True))


def insert_embeddings(con: Any, model_id: str, hashes: Sequence[str], vectors: Any) -> None:
    """Vectors of ``model_id`` for ``hashes``: ``vectors`` is a float32 array, one row per hash.

    One statement per call: the rows travel as an Arrow fixed-size-list column, not as Python
    lists of floats.
    """
    if not len(hashes):
        return
    import numpy as np
    import pyarrow as pa

    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != len(hashes):
        raise ValueError(f"{len(hashes)} hashes but vectors of shape {matrix.shape}")
    column = pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), matrix.shape[1])
    with _registered(
        con,
        "new_embeddings",
        {"passage_hash": pa.array(list(hashes), pa.string()), "vector": column},
    ):
        con.execute(query("pipeline_insert_embedding"), [model_id])
