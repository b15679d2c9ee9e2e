"""`clusterradar export --suggestions --quarter Q`: the quarter's rank-1 suggestions with their
scores, model version and review status, in the formats and data package of the classification
export."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clusterradar.review.decisions import record_decision
from clusterradar.warehouse import connect, transaction
from tests.test_review_seed import Seeded, add_cluster, add_run, add_suggestion, seed_warehouse

EVIL_NAME = '=HYPERLINK("http://evil.example/","Klick")'


@pytest.fixture
def decided(db_path) -> Seeded:
    """The review seed (run r1 of 2026Q3) with one suggestion accepted, one rejected, one
    overridden, one awaiting a second reviewer (four-eyes), and a later partial run of 2026Q3
    for a cluster whose name a spreadsheet would run as a formula."""
    seeded = seed_warehouse(db_path)
    decide = {"timeout": 10}
    record_decision(
        db_path,
        suggestion_id=seeded.sid("cyberforum/intensity/primarily_security"),
        action="accept",
        reviewer="anna",
        **decide,
    )
    record_decision(
        db_path,
        suggestion_id=seeded.sid("newco/intensity/civil_base_technology"),
        action="reject",
        reviewer="ben",
        **decide,
    )
    record_decision(
        db_path,
        suggestion_id=seeded.sid("aviaspace/intensity/balanced_dual_use"),
        action="override",
        labels=["primarily_security"],
        reviewer="carla",
        **decide,
    )
    record_decision(
        db_path,
        suggestion_id=seeded.sid("photonics-bw/intensity/primarily_civil_security_relevant"),
        action="accept",
        reviewer="anna",
        four_eyes=True,
        **decide,
    )
    with connect(db_path) as con, transaction(con):
        add_cluster(con, "evil", EVIL_NAME, ["hessen"], "https://evil.example/")
        add_run(con, "r2", quarter="2026Q3")
        add_suggestion(con, "r2", "evil", "intensity", "no_svi_relevance", 0.97, 1)
        add_suggestion(con, "r2", "evil", "intensity", "civil_base_technology", 0.02, 2)
        add_run(con, "r-q2", quarter="2026Q2")
        add_suggestion(con, "r-q2", "cyberforum", "intensity", "balanced_dual_use", 0.6, 1)
    return seeded


def export(cli, seeded: Seeded, out, fmt: str, *extra: str):
    result = cli(
        "--db", seeded.db, "export", "--suggestions", "--quarter", "2026Q3", "--format", fmt,
        "--out", out, *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result


def test_suggestion_export_holds_each_rank_1_suggestion_of_the_quarter_with_its_review_status(
    cli, decided, tmp_path
):
    result = export(cli, decided, tmp_path / "out", "json")
    assert "wrote 6 suggestions (quarter 2026Q3)" in result.stdout
    rows = json.loads((tmp_path / "out" / "suggestions.json").read_text(encoding="utf-8"))
    by_key = {(r["cluster_id"], r["dimension"]): r for r in rows}
    assert sorted(by_key) == [
        ("aviaspace", "intensity"),
        ("cyberforum", "intensity"),
        ("cyberforum", "svi_domains"),
        ("evil", "intensity"),
        ("newco", "intensity"),  # not newco/function_logic: its run never finished
        ("photonics-bw", "intensity"),
    ]
    status = {key: (r["decision_status"], r["decided_labels"]) for key, r in by_key.items()}
    assert status == {
        ("aviaspace", "intensity"): ("overridden", ["primarily_security"]),
        ("cyberforum", "intensity"): ("accepted", ["primarily_security"]),
        ("cyberforum", "svi_domains"): ("undecided", []),
        ("evil", "intensity"): ("undecided", []),
        ("newco", "intensity"): ("rejected", []),
        ("photonics-bw", "intensity"): ("undecided", []),  # one of two four-eyes decisions
    }
    cyber = by_key[("cyberforum", "intensity")]
    assert cyber["label_key"] == "primarily_security" and cyber["score"] == 0.82
    assert cyber["model_version"] == "model-r1" and cyber["run_id"] == "r1"
    assert cyber["quarter"] == "2026Q3" and cyber["decided_by"] == "anna"
    assert cyber["evidence_urls"] == ["https://cyberforum.de/ueber-uns", "javascript:alert(4)"]
    assert cyber["label_de"] == "Primär sicherheitsorientiert"
    assert by_key[("cyberforum", "svi_domains")]["label_key"] == "digital_sovereignty"
    assert by_key[("evil", "intensity")]["run_id"] == "r2"
    assert by_key[("photonics-bw", "intensity")]["decided_by"] is None


def test_suggestion_csv_neutralises_formulas_and_joins_lists(cli, decided, tmp_path):
    export(cli, decided, tmp_path / "out", "csv")
    with (tmp_path / "out" / "suggestions.csv").open(encoding="utf-8", newline="") as handle:
        rows = {(r["cluster_id"], r["dimension"]): r for r in csv.DictReader(handle)}
    assert rows[("evil", "intensity")]["cluster_name"] == "'" + EVIL_NAME
    cyber = rows[("cyberforum", "intensity")]
    assert cyber["evidence_urls"] == "https://cyberforum.de/ueber-uns;javascript:alert(4)"
    assert cyber["decided_at"].endswith("Z") and cyber["score"] == "0.82"
    package = json.loads((tmp_path / "out" / "datapackage.json").read_text(encoding="utf-8"))
    [resource] = package["resources"]
    assert resource["path"] == "suggestions.csv" and "leading '" in resource["description"]
    assert resource["schema"]["primaryKey"] == ["cluster_id", "dimension"]
    assert package["name"] == "clusterradar-suggestions"


def test_suggestion_parquet_keeps_types_and_names_exactly(cli, decided, tmp_path):
    export(cli, decided, tmp_path / "out", "parquet")
    table = pq.read_table(tmp_path / "out" / "suggestions.parquet")
    assert table.schema.field("score").type == pa.float64()
    assert table.schema.field("decided_at").type == pa.timestamp("us")
    rows = {(r["cluster_id"], r["dimension"]): r for r in table.to_pylist()}
    assert rows[("evil", "intensity")]["cluster_name"] == EVIL_NAME
    assert json.loads(rows[("aviaspace", "intensity")]["decided_labels"]) == ["primarily_security"]


def test_one_folder_holds_both_kinds_and_the_package_describes_both(cli, decided, tmp_path):
    out = tmp_path / "out"
    export(cli, decided, out, "csv")
    classified = cli("--db", decided.db, "export", "--format", "csv", "--out", out)
    assert classified.exit_code == 0, classified.stderr
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["path"] for r in package["resources"]] == ["classifications.csv", "suggestions.csv"]
    assert package["name"] == "clusterradar-export"
    assert package["licenses"][0]["name"] and package["sources"]
    again = cli(
        "--db", decided.db, "export", "--suggestions", "--quarter", "2026Q3", "--out", out
    )  # fmt: skip
    assert again.exit_code == 1 and "suggestions.csv already exists" in again.stderr


def test_a_quarter_without_runs_exports_no_rows(cli, decided, tmp_path):
    result = cli(
        "--db", decided.db, "export", "--suggestions", "--quarter", "2025Q4", "--format",
        "json", "--out", tmp_path / "out",
    )  # fmt: skip
    assert result.exit_code == 0 and "wrote 0 suggestions" in result.stdout
    assert json.loads((tmp_path / "out" / "suggestions.json").read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--as-of", "2026-09-30"],
            "error: --suggestions exports a quarter's run; give --quarter, not --as-of",
        ),
        (["--quarter", "2999Q1"], "error: --quarter 2999Q1 is in the future"),
        (["--quarter", "soon"], "error: --quarter: not a quarter"),
    ],
)
def test_bad_suggestion_export_flags_are_one_line_errors_and_write_nothing(
    cli, decided, tmp_path, args, message
):
    out = tmp_path / "out"
    result = cli("--db", decided.db, "export", "--suggestions", "--out", out, *args)
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(message) and "\n" not in result.stderr.strip()
    assert not out.exists()
