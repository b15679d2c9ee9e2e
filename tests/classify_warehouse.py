"""Crawls written straight into a test warehouse, as the crawler records them: a site crawled
fine from fixture pages, and a site that answered 503 (no body, no text)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from tests.conftest import FIXTURES

WEHRTECHNIK_PAGES = FIXTURES / "pipeline" / "site_wehrtechnik"


def record_site_crawl(
    con, crawl_run_id: str, at: dt.datetime, cluster_id: str, base_url: str,
    pages: Path = WEHRTECHNIK_PAGES,
) -> None:  # fmt: skip
    """A finished site crawl of ``cluster_id`` that fetched every ``*.html`` in ``pages``."""
    con.execute(
        "INSERT INTO crawl_runs (crawl_run_id, kind, started_at, finished_at, status) "
        "VALUES (?, 'sites', ?, ?, 'finished')",
        [crawl_run_id, at, at],
    )
    found = sorted(pages.glob("*.html"))
    for page in found:
        body = page.read_bytes()
        digest = hashlib.sha256(body).hexdigest()
        con.execute(
            "INSERT INTO page_bodies (content_hash, body) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [digest, body],
        )
        con.execute(
            "INSERT INTO page_snapshots (snapshot_id, crawl_run_id, cluster_id, url, "
            "fetched_at, http_status, content_type, content_hash) "
            "VALUES (?, ?, ?, ?, ?, 200, 'text/html; charset=utf-8', ?)",
            [f"{crawl_run_id}-{page.stem}", crawl_run_id, cluster_id, base_url + page.stem, at,
             digest],
        )  # fmt: skip
    con.execute(
        "INSERT INTO site_outcomes (crawl_run_id, cluster_id, seed_url, outcome, pages, "
        "finished_at) VALUES (?, ?, ?, 'ok', ?, ?)",
        [crawl_run_id, cluster_id, base_url, len(found), at],
    )


def record_unreachable_crawl(
    con, crawl_run_id: str, at: dt.datetime, cluster_id: str, base_url: str
) -> None:
    """A finished site crawl in which ``cluster_id``'s site answered 503: what the crawler
    keeps of it is an error snapshot without body and an ``http_error`` outcome."""
    con.execute(
        "INSERT INTO crawl_runs (crawl_run_id, kind, started_at, finished_at, status) "
        "VALUES (?, 'sites', ?, ?, 'finished') ON CONFLICT DO NOTHING",
        [crawl_run_id, at, at],
    )
    con.execute(
        "INSERT INTO page_snapshots (snapshot_id, crawl_run_id, cluster_id, url, fetched_at, "
        "http_status, note) VALUES (?, ?, ?, ?, ?, 503, 'http 503')",
        [f"{crawl_run_id}-index", crawl_run_id, cluster_id, base_url, at],
    )
    con.execute(
        "INSERT INTO site_outcomes (crawl_run_id, cluster_id, seed_url, outcome, pages, "
        "finished_at) VALUES (?, ?, ?, 'http_error', 0, ?)",
        [crawl_run_id, cluster_id, base_url, at],
    )


def run_suggestions(path: Path, run_id: str) -> list[tuple]:
    """(cluster, dimension, label, score, rank, evidence) of a classify run, in a stable order."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT s.cluster_id, s.dimension, s.label_key, s.score, s.rank, "
            "list((e.rank, e.snapshot_id, e.passage, e.reason) ORDER BY e.rank) "
            "FROM suggestions s LEFT JOIN suggestion_evidence e USING (suggestion_id) "
            "WHERE s.run_id = ? GROUP BY ALL ORDER BY ALL",
            [run_id],
        ).fetchall()
