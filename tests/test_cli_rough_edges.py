"""The command line's tables, through the real CLI on real DuckDB files: `diff` names labels as
the taxonomy does and refuses quarters without runs, `history` lists rejections, and tables
follow the terminal width (COLUMNS, else a wide default when piped) without splitting ids."""

from __future__ import annotations

import json

from tests.test_quarterly_report import fill_two_quarters
from tests.test_review_seed import seed_warehouse


def test_diff_prints_the_taxonomy_s_german_labels_instead_of_keys(db_path, cli):
    db = fill_two_quarters(db_path)
    quarters = ("--from", "2026Q3", "--to", "2026Q4")
    keys = json.loads(cli("--db", db, "diff", *quarters, "--json").stdout)
    result = cli("--db", db, "diff", *quarters)
    assert result.exit_code == 0, result.output
    assert keys["classification_changes"] and keys["suggestion_changes"]
    assert "SVI-/Dual-Use-Intensität" in result.stdout
    assert "Primär sicherheitsorientiert" in result.stdout
    shown = {key for change in keys["classification_changes"] for key in change["after"] or []}
    shown |= {change["after"] for change in keys["suggestion_changes"] if change["after"]}
    assert shown and [key for key in shown if key in result.stdout] == []
    assert "intensity" not in result.stdout


def test_diff_between_quarters_without_runs_is_a_one_line_error(db_path, cli):
    db = fill_two_quarters(db_path)
    for extra in ([], ["--json"]):
        result = cli("--db", db, "diff", "--from", "2026Q1", "--to", "2026Q2", *extra)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr == (
            "error: no classification run in 2026Q1 or 2026Q2, nothing to compare "
            "(quarters with runs: 2026Q3, 2026Q4)\n"
        )
    # One quarter with runs is a diff (the first classified quarter: everything appears).
    assert cli("--db", db, "diff", "--from", "2026Q2", "--to", "2026Q3").exit_code == 0


def test_history_lists_rejected_suggestions_with_who_when_and_comment(db_path, cli):
    seeded = seed_warehouse(db_path)
    rejected = seeded.sid("cyberforum/intensity/primarily_security")
    result = cli(
        "--db", seeded.db, "review", "reject", rejected,
        "--reviewer", "ben", "--comment", "Messe-Seite, kein Rüstungsbezug",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = cli("--db", seeded.db, "history", "cyberforum")
    assert result.exit_code == 0, result.output
    table = result.stdout.split("Rejected suggestions (1)")[1]
    assert "Primär sicherheitsorientiert (primarily_security)" in table
    assert "ben" in table and "Messe-Seite, kein Rüstungsbezug" in table
    data = json.loads(cli("--db", seeded.db, "history", "cyberforum", "--json").stdout)
    [rejection] = data["rejections"]
    assert rejection["suggestion_id"] == rejected and rejection["reviewer"] == "ben"
    assert rejection["label"] == "primarily_security" and rejection["concluded"] is True
    assert rejection["comment"] == "Messe-Seite, kein Rüstungsbezug"
    assert rejection["decided_at"]
    other = json.loads(cli("--db", seeded.db, "history", "aviaspace", "--json").stdout)
    assert other["rejections"] == []


def test_tables_take_columns_when_set_and_a_wide_default_when_piped_and_never_split_ids(
    db_path, cli
):
    seeded = seed_warehouse(db_path)
    narrow = cli("--db", seeded.db, "clusters", "list", env={"COLUMNS": "50"})
    assert narrow.exit_code == 0, narrow.output
    lines = narrow.stdout.splitlines()
    assert max(len(line) for line in lines) <= 50
    for cluster_id in ("cyberforum", "photonics-bw", "aviaspace", "newco"):
        assert any(cluster_id in line for line in lines), cluster_id
    piped = cli("--db", seeded.db, "clusters", "list", env={"COLUMNS": ""})
    assert max(len(line) for line in piped.stdout.splitlines()) > 80
    history = cli("--db", seeded.db, "history", "cyberforum", env={"COLUMNS": "60"})
    assert max(len(line) for line in history.stdout.splitlines()) <= 60
