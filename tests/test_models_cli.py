"""train / classify / predict / evaluate through the real CLI on a real DuckDB warehouse."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.conftest import FIXTURES

MODEL_FIXTURES = FIXTURES / "models"
# the labelled clusters of labelled_documents.jsonl, in the file's order
DOCUMENT_CLUSTERS = [
    "defence-nrw",
    "techhub-svi-nord",
    "cyberforum",
    "photonics-bw",
    "optonet",
    "maritimes-cluster-norddeutschland",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A warehouse with the paper's 33 labelled clusters, as `clusterradar init` leaves it."""
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    path = tmp_path_factory.mktemp("models") / "warehouse.duckdb"
    initialise_warehouse(path)
    return path


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("bad_invalid_json.jsonl", "bad_invalid_json.jsonl:2: invalid JSON"),
        ("bad_unknown_cluster.jsonl", "unknown cluster 'no-such-cluster'"),
        ("bad_empty_text.jsonl", "bad_empty_text.jsonl:1: empty text"),
    ],
)
def test_predict_rejects_bad_documents_files_with_one_clear_line(cli, warehouse, fixture, message):
    result = cli("--db", warehouse, "predict", "--documents", MODEL_FIXTURES / fixture)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_evaluate_rejects_documents_of_unknown_clusters(cli, warehouse):
    result = cli(
        "--db", warehouse, "evaluate", "--documents", MODEL_FIXTURES / "bad_unknown_cluster.jsonl"
    )
    assert result.exit_code == 1
    assert "unknown cluster 'no-such-cluster'" in result.stderr


def test_train_stores_an_artefact_and_reuses_it_for_unchanged_input(cli, warehouse):
    first = cli("--db", warehouse, "train")
    assert first.exit_code == 0, first.stderr
    assert "trained: model" in first.stdout
    second = cli("--db", warehouse, "train")
    assert "reused existing artefact" in second.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT model_version, n_examples, training_data_hash FROM model_artifacts"
        ).fetchall()
    assert len(rows) == 1 and rows[0][1] == 33 and len(rows[0][2]) == 64


def test_classify_writes_versioned_suggestions_and_is_idempotent_per_quarter(cli, warehouse):
    first = cli("--db", warehouse, "classify", "--quarter", "2026Q4")
    assert first.exit_code == 0, first.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = con.execute(
            "SELECT run_id, status, model_version, training_data_hash FROM classification_runs"
        ).fetchall()
        counts = con.execute(
            "SELECT count(*), count(DISTINCT cluster_id), count(DISTINCT dimension), "
            "min(score) >= 0 AND max(score) <= 1 FROM suggestions"
        ).fetchone()
        versions = con.execute(
            "SELECT DISTINCT model_version, training_data_hash FROM suggestions"
        ).fetchall()
        evidence = con.execute("SELECT count(*) FROM suggestion_evidence").fetchone()[0]
    assert len(runs) == 1 and runs[0][1] == "finished"
    assert counts[1] == 33 and counts[2] == 4 and counts[3]
    assert versions == [(runs[0][2], runs[0][3])]
    assert evidence > 0
    again = cli("--db", warehouse, "classify", "--quarter", "2026Q4")
    assert "existing run" in again.stdout and runs[0][0] in again.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM classification_runs").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM suggestions").fetchone()[0] == counts[0]


def test_classify_resumes_an_interrupted_run_without_duplicates(cli, warehouse):
    from clusterradar.models.classify import classify_clusters
    from clusterradar.settings import load_settings

    settings = load_settings(overrides={"db": warehouse})
    done = classify_clusters(
        settings, quarter="2026Q3", cluster_ids=["defence-nrw", "photonics-bw"], progress=False
    )
    with duckdb.connect(str(warehouse)) as con:  # simulate a crash after the first cluster
        con.execute(
            "UPDATE classification_runs SET status = 'interrupted' WHERE run_id = ?", [done.run_id]
        )
        con.execute(
            "DELETE FROM suggestion_evidence WHERE suggestion_id IN "
            "(SELECT suggestion_id FROM suggestions "
            "WHERE run_id = ? AND cluster_id = 'photonics-bw')",
            [done.run_id],
        )
        con.execute(
            "DELETE FROM suggestions WHERE run_id = ? AND cluster_id = 'photonics-bw'",
            [done.run_id],
        )
        con.execute(  # written in the same batch transaction as the suggestions
            "DELETE FROM axis_scores WHERE run_id = ? AND cluster_id = 'photonics-bw'",
            [done.run_id],
        )
    resumed = classify_clusters(
        settings, quarter="2026Q3", cluster_ids=["defence-nrw", "photonics-bw"], progress=False
    )
    assert resumed.run_id == done.run_id and not resumed.reused
    assert resumed.suggestions == done.suggestions


def test_classify_names_unknown_cluster_ids(cli, warehouse):
    result = cli("--db", warehouse, "classify", "--cluster", "nope")
    assert result.exit_code == 1
    assert "unknown cluster id(s): nope" in result.stderr


def test_predict_prints_one_json_line_per_cluster_matched_by_website(cli, warehouse):
    result = cli(
        "--db", warehouse, "predict", "--documents", MODEL_FIXTURES / "labelled_documents.jsonl"
    )
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["cluster"] for line in lines] == DOCUMENT_CLUSTERS
    first = lines[0]
    assert set(first["suggestions"]) == {
        "intensity",
        "function_logic",
        "application_fields",
        "svi_domains",
    }
    top = first["suggestions"]["intensity"][0]
    assert (
        top["rank"] == 1
        and top["evidence"]
        and top["evidence"][0]["url"].startswith("https://defence.nrw")
    )
    assert first["model_version"] and len(first["training_data_hash"]) == 64


def test_evaluate_json_reports_the_issue_metrics_and_counts_skipped_clusters(cli, warehouse):
    result = cli(
        "--db",
        warehouse,
        "evaluate",
        "--json",
        "--models",
        "axes,prototype",
        "--documents",
        MODEL_FIXTURES / "labelled_documents.jsonl",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n_clusters"] == 6 and report["skipped"] == 27
    assert set(report["models"]) == {"axes", "prototype"}
    assert report["gate"]["labelled_kept"]["value"] <= 1.0
    linear = report["models"]["axes"]
    for name in (
        "accuracy",
        "macro_f1",
        "mae",
        "within_one",
        "qwk",
        "brier",
        "coverage_at_90_precision",
    ):
        assert {"value", "low", "high"} <= set(linear[name])
        assert linear[name]["low"] <= linear[name]["value"] <= linear[name]["high"]
    assert sum(map(sum, linear["confusion_matrix"]["rows_true_cols_pred"])) == 6
    # thematic top-1 against the annotation, on the same six held-out clusters
    thematic = report["thematic"]
    assert set(thematic) == {"function_logic", "application_fields", "svi_domains"}
    for scores in thematic.values():
        assert scores["n"] + len(scores["unannotated"]) == 6
        assert set(scores["top1"]) | set(scores["unannotated"]) == set(DOCUMENT_CLUSTERS)
        p = scores["precision_at_1"]
        assert p["low"] <= p["value"] == scores["hits"] / scores["n"] <= p["high"]


def test_evaluate_writes_a_readable_report_and_confusion_matrix_image(cli, warehouse, tmp_path):
    result = cli(
        "--db",
        warehouse,
        "evaluate",
        "--models",
        "axes",
        "--documents",
        MODEL_FIXTURES / "labelled_documents.jsonl",
        "--civil",
        MODEL_FIXTURES / "civil_documents.jsonl",
        "--out",
        tmp_path / "report",
    )
    assert result.exit_code == 0, result.stderr
    assert "accuracy" in result.stdout and "no-SVI gate" in result.stdout
    assert "civil_documents.jsonl: rejected" in result.stdout
    assert "thematic suggestions: precision at 1" in result.stdout
    assert "application_fields" in result.stdout
    assert (tmp_path / "report" / "evaluation.txt").is_file()
    assert (tmp_path / "report" / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


def test_predict_on_noisy_website_pages_separates_dedicated_networks_from_optics_clusters(
    cli, warehouse
):
    """Four invented pages per labelled cluster (news, member lists, passing mentions of
    defence): every cluster is matched by its website, cites its own pages, and dedicated
    security networks stay far from civil optics/microelectronics clusters on the level axis."""
    result = cli(
        "--db", warehouse, "predict", "--documents", MODEL_FIXTURES / "labelled_websites.jsonl"
    )
    assert result.exit_code == 0, result.stderr
    lines = {d["cluster"]: d for d in map(json.loads, result.stdout.splitlines())}
    assert len(lines) == 31
    with duckdb.connect(str(warehouse), read_only=True) as con:
        websites = dict(con.execute("SELECT cluster_id, website FROM clusters").fetchall())
    for cluster, line in lines.items():
        host = websites[cluster].split("//", 1)[1].removeprefix("www.").split("/")[0]
        evidence = line["suggestions"]["intensity"][0]["evidence"]
        assert evidence, cluster
        assert all(host in (e["url"] or "") for e in evidence), (cluster, evidence)
    dedicated = ("defence-nrw", "techhub-svi-nord", "cast", "gsw-netzwerk")
    optics = ("optence", "optonet", "silicon-saxony", "photonics-bw")
    assert max(lines[c]["expected_level"] for c in dedicated) < 2.0
    assert min(lines[c]["expected_level"] for c in optics) > 3.5
