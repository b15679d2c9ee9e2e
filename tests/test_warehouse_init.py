"""`clusterradar init`: creates or migrates the warehouse and loads the paper's labels once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from clusterradar.labels import default_clusters_path
from clusterradar.warehouse import connect
from clusterradar.warehouse.db import latest_schema_version

COUNTED_TABLES = ("clusters", "classification_versions", "label_loads")


def _counts(db: Path) -> dict[str, int]:
    with connect(db, read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED_TABLES}


def _edited_clusters_file(tmp_path: Path, old: str, new: str) -> Path:
    text = default_clusters_path().read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "clusters.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


CAST_BLOCK = """  - id: cast
    name: "Competence Center for Applied Security Technology, CAST e. V."
    bundeslaender: [hessen]
    intensity: primarily_security"""


def test_init_creates_the_warehouse_and_loads_the_papers_labels(cli, tmp_path):
    db = tmp_path / "new.duckdb"
    result = cli("--db", db, "init")
    assert result.exit_code == 0, result.stderr
    assert "created" in result.stdout and "33 new clusters" in result.stdout
    assert _counts(db) == {"clusters": 33, "classification_versions": 33, "label_loads": 1}
    with connect(db, read_only=True) as con:
        row = con.execute(
            "SELECT c.origin, c.name, c.go_cluster, v.labels, v.valid_from, v.source, v.decided_by,"
            " v.source_ref FROM clusters c JOIN classification_versions v USING (cluster_id)"
            " WHERE cluster_id = 'silicon-saxony'"
        ).fetchone()
        files_hash = con.execute("SELECT files_hash FROM label_loads").fetchone()[0]
    assert row[:7] == (
        "paper",
        "Silicon Saxony e. V.",
        True,
        ["primarily_civil_security_relevant"],
        dt.date(2026, 1, 1),
        "paper",
        "VDI/VDE-IT (paper)",
    )
    assert row[7] == files_hash and len(files_hash) == 64


def test_rerunning_init_loads_nothing_twice(cli, tmp_path):
    db = tmp_path / "w.duckdb"
    cli("--db", db, "init")
    before = _counts(db)
    result = cli("--db", db, "init")
    assert result.exit_code == 0
    assert "nothing loaded" in result.stdout
    assert _counts(db) == before


def test_changed_label_creates_a_new_version_and_keeps_the_old_one(cli, tmp_path):
    db = tmp_path / "w.duckdb"
    cli("--db", db, "init")
    edited = _edited_clusters_file(
        tmp_path,
        CAST_BLOCK,
        CAST_BLOCK.replace("CAST e. V.", "CAST e. V. (Darmstadt)")
        .replace("[hessen]", "[hessen, bayern]")
        .replace("primarily_security", "balanced_dual_use"),
    )
    result = cli("--db", db, "init", "--labels-file", edited)
    assert result.exit_code == 0, result.stderr
    assert "1 new classification versions" in result.stdout and "new version: cast" in result.stdout
    assert _counts(db) == {"clusters": 33, "classification_versions": 34, "label_loads": 2}
    with connect(db, read_only=True) as con:
        versions = con.execute(
            "SELECT labels, valid_from, valid_to FROM effective_classifications"
            " WHERE cluster_id = 'cast' ORDER BY seq"
        ).fetchall()
        cast = con.execute(
            "SELECT name, alt_names, bundeslaender FROM clusters WHERE cluster_id = 'cast'"
        ).fetchone()
    # Same valid_from, later sequence wins: the old version is kept but no longer in force.
    assert versions == [
        (["primarily_security"], dt.date(2026, 1, 1), dt.date(2026, 1, 1)),
        (["balanced_dual_use"], dt.date(2026, 1, 1), None),
    ]
    assert cast == (
        "Competence Center for Applied Security Technology, CAST e. V. (Darmstadt)",
        ["Competence Center for Applied Security Technology, CAST e. V."],
        ["hessen", "bayern"],
    )
    # Going back to the packaged file restores the paper's label as a further version.
    back = cli("--db", db, "init")
    assert back.exit_code == 0 and "new version: cast" in back.stdout
    assert _counts(db)["classification_versions"] == 35


def test_invalid_label_file_leaves_the_warehouse_untouched(cli, tmp_path):
    db = tmp_path / "never.duckdb"
    broken = Path(__file__).parent / "fixtures" / "labels" / "duplicate_id.yaml"
    result = cli("--db", db, "init", "--labels-file", broken)
    assert result.exit_code == 1
    assert "duplicate id 'alpha-cluster'" in result.stderr
    assert not db.exists()


def test_init_refuses_a_newer_schema_and_leaves_the_file_unchanged(cli, tmp_path):
    db = tmp_path / "future.duckdb"
    cli("--db", db, "init")
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (999, 'from_the_future', now()::TIMESTAMP)")
    con.close()
    before = db.read_bytes()
    result = cli("--db", db, "init")
    assert result.exit_code == 1
    assert "schema version 999, newer than this clusterradar knows" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before


def test_init_refuses_a_file_that_is_not_duckdb(cli, tmp_path):
    db = tmp_path / "notes.duckdb"
    db.write_text("these are my notes, not a database\n" * 10, encoding="utf-8")
    before = db.read_bytes()
    result = cli("--db", db, "init")
    assert result.exit_code == 1
    assert "not a DuckDB file" in result.stderr
    assert db.read_bytes() == before


def test_init_migrates_to_the_latest_schema(cli, tmp_path):
    db = tmp_path / "w.duckdb"
    cli("--db", db, "init")
    with connect(db, read_only=True) as con:
        found = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    assert found == latest_schema_version()


def test_cli_modules_import_no_heavy_libraries():
    """`clusterradar --help` stays fast: command modules defer pyarrow, rich tables and pandas."""
    import subprocess
    import sys

    code = (
        "import sys, clusterradar.labels.cli, clusterradar.warehouse.cli; "
        "print(sorted(m for m in ('pyarrow', 'pandas', 'torch', 'rich.table') if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_rerun_does_not_undo_facts_another_stage_updated(cli, tmp_path):
    db = tmp_path / "w.duckdb"
    cli("--db", db, "init")
    with connect(db) as con:
        con.execute(
            "UPDATE clusters SET website = 'https://www.cast-forum.de/' WHERE cluster_id = 'cast'"
        )
    before = _counts(db)
    result = cli("--db", db, "init")
    assert result.exit_code == 0 and "nothing loaded" in result.stdout
    assert _counts(db) == before
    with connect(db, read_only=True) as con:
        website = con.execute("SELECT website FROM clusters WHERE cluster_id = 'cast'").fetchone()[
            0
        ]
    assert website == "https://www.cast-forum.de/"
