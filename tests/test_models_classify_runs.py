"""classify on a warehouse with crawled pages: quarters as report/diff find them, and evidence
that says when it comes from an earlier crawl because the website is down now."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from tests.classify_warehouse import record_site_crawl, record_unreachable_crawl

T0 = dt.datetime(2026, 8, 1, 10, 0)
T1 = dt.datetime(2026, 11, 1, 10, 0)
CLUSTER = "defence-nrw"
NOTE = "aus dem Crawl vom 2026-08-01; Website nicht erreichbar seit 2026-11-01 (http_error)"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The paper's clusters; defence-nrw crawled fine in r1 (Q3), answered 503 in r2 (Q4)."""
    from clusterradar.pipeline.run import process_pending
    from clusterradar.settings import Settings
    from clusterradar.warehouse import connect, transaction
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    path = tmp_path_factory.mktemp("classify") / "warehouse.duckdb"
    initialise_warehouse(path)
    with connect(path) as con, transaction(con):
        record_site_crawl(con, "r1", T0, CLUSTER, "https://defence.nrw/")
        record_unreachable_crawl(con, "r2", T1, CLUSTER, "https://defence.nrw/")
    settings = Settings(db=path)
    process_pending(settings, progress=False)
    return path


@pytest.mark.parametrize("quarter", ["banana", "2026Q5", "Q4 2026", ""])
def test_classify_rejects_a_quarter_that_is_not_one(cli, warehouse, quarter):
    result = cli("--db", warehouse, "classify", "--cluster", CLUSTER, "--quarter", quarter)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: not a quarter")
    assert "Traceback" not in result.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarters = {q for (q,) in con.execute("SELECT quarter FROM classification_runs").fetchall()}
    assert quarter not in quarters


def test_classify_quarter_functions_normalise_to_the_form_reports_look_up():
    from clusterradar.errors import InputError
    from clusterradar.quarters import normalise_quarter

    assert normalise_quarter("2026q4") == normalise_quarter(" 2026-Q4 ") == "2026Q4"
    assert normalise_quarter(None) is None
    with pytest.raises(InputError, match="not a quarter"):
        normalise_quarter("banana")


@pytest.mark.slow
def test_lowercase_quarter_is_stored_upper_case(cli, warehouse):
    result = cli("--db", warehouse, "classify", "--cluster", CLUSTER, "--quarter", "2026q4")
    assert result.exit_code == 0, result.stderr
    run_id = re.search(r"run (\S+):", result.stdout).group(1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarter = con.execute(
            "SELECT quarter FROM classification_runs WHERE run_id = ?", [run_id]
        ).fetchone()[0]
    assert quarter == "2026Q4"


@pytest.mark.slow
def test_website_down_keeps_classifying_from_the_last_good_crawl_and_evidence_says_so(warehouse):
    import json

    from clusterradar.models.classify import classify_clusters
    from clusterradar.settings import load_settings

    settings = load_settings(overrides={"db": warehouse})
    result = classify_clusters(settings, cluster_ids=[CLUSTER], quarter="2026Q4", progress=False)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        parameters = con.execute(
            "SELECT parameters FROM classification_runs WHERE run_id = ?", [result.run_id]
        ).fetchone()[0]
        evidence = con.execute(
            "SELECT e.snapshot_id, e.reason, e.passage FROM suggestion_evidence e "
            "JOIN suggestions s USING (suggestion_id) WHERE s.run_id = ? AND s.rank = 1 "
            "AND s.dimension = 'intensity'",
            [result.run_id],
        ).fetchall()
        top = con.execute(
            "SELECT label_key FROM suggestions WHERE run_id = ? AND dimension = 'intensity' "
            "AND rank = 1",
            [result.run_id],
        ).fetchone()[0]
    assert json.loads(parameters)["earlier_crawl"] == {CLUSTER: NOTE}
    assert top != "no_svi_relevance"  # the Q3 pages still speak: BAAINBw, Wehrtechnik
    crawled = [row for row in evidence if row[0] and row[0].startswith("r1-")]
    assert crawled, evidence  # the cited passages are the Q3 crawl's pages ...
    assert all(reason.endswith(NOTE) for _, reason, _ in crawled), crawled  # ... and say so
