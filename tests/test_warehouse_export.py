"""`clusterradar export`: the effective classification at a date, as files plus a data package."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

from clusterradar.labels import NO_SVI_RELEVANCE, load_taxonomy
from clusterradar.warehouse import connect, transaction
from clusterradar.warehouse.history import effective_at, record_version

AS_OF = dt.date(2026, 6, 1)
EVIDENCE = ["https://cast-forum.de/themen", "https://cast-forum.de/ueber-uns"]


@pytest.fixture
def reviewed_db(labelled_db):
    """The paper's labels plus reviews: a multi-label version and a no-SVI-relevance outcome."""
    with connect(labelled_db) as con, transaction(con):
        record_version(
            con,
            cluster_id="cast",
            dimension="function_logic",
            labels=["protection_defence", "transformation_future"],
            valid_from=dt.date(2026, 5, 1),
            source="review",
            source_ref="dec-7",
            decided_by="anna",
            decided_at=dt.datetime(2026, 5, 2, 10, 0),
            model_version="fusion-2026.05",
            evidence_urls=EVIDENCE,
        )
        record_version(
            con,
            cluster_id="optence",
            dimension="intensity",
            labels=[NO_SVI_RELEVANCE],
            valid_from=dt.date(2026, 7, 1),
            source="review",
            decided_by="ben",
        )
    return labelled_db


def _expected(db, as_of):
    """(cluster, dimension, label) -> version, straight from the history API."""
    with connect(db, read_only=True) as con:
        versions = effective_at(con, as_of)
    return {(v.cluster_id, v.dimension, label): v for v in versions for label in v.labels}


def test_parquet_export_round_trips_to_the_effective_classification(cli, reviewed_db, tmp_path):
    # Lists are JSON text in Parquet: the lexical form Table Schema defines for `array` fields,
    # which `frictionless validate` accepts (native Parquet lists fail its type check).
    out = tmp_path / "export"
    result = cli(
        "--db", reviewed_db, "export", "--format", "parquet", "--out", out, "--as-of", AS_OF
    )
    assert result.exit_code == 0, result.stderr
    rows = pq.read_table(out / "classifications.parquet").to_pylist()
    expected = _expected(reviewed_db, AS_OF)
    assert len(rows) == len(expected) == 35
    for row in rows:
        version = expected[(row["cluster_id"], row["dimension"], row["label_key"])]
        assert row["valid_from"] == version.valid_from
        assert row["valid_to"] == version.valid_to
        assert row["source"] == version.source
        assert row["decided_by"] == version.decided_by
        assert row["decided_at"] == version.decided_at
        assert row["model_version"] == version.model_version
        assert json.loads(row["evidence_urls"]) == list(version.evidence_urls)
    cast_rows = [
        r for r in rows if r["cluster_id"] == "cast" and r["dimension"] == "function_logic"
    ]
    assert [r["label_de"] for r in cast_rows] == [
        "Schutz und Abwehr",
        "Transformation und Zukunftsfähigkeit",
    ]
    assert json.loads(cast_rows[0]["bundeslaender"]) == ["hessen"]
    assert json.loads(cast_rows[0]["evidence_urls"]) == EVIDENCE


def test_csv_export_round_trips_with_joined_lists(cli, reviewed_db, tmp_path):
    out = tmp_path / "export"
    result = cli(
        "--db", reviewed_db, "export", "--format", "csv", "--out", out, "--as-of", "2026-07-01"
    )
    assert result.exit_code == 0, result.stderr
    with (out / "classifications.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = _expected(reviewed_db, dt.date(2026, 7, 1))
    assert {(r["cluster_id"], r["dimension"], r["label_key"]) for r in rows} == set(expected)
    for row in rows:
        version = expected[(row["cluster_id"], row["dimension"], row["label_key"])]
        assert row["valid_from"] == version.valid_from.isoformat()
        assert row["valid_to"] == (version.valid_to.isoformat() if version.valid_to else "")
        assert row["evidence_urls"] == ";".join(version.evidence_urls)
    optence = next(r for r in rows if r["cluster_id"] == "optence")
    assert optence["label_key"] == NO_SVI_RELEVANCE
    assert optence["label_de"] == "Keine SVI-Relevanz erkennbar"
    maritime = next(r for r in rows if r["cluster_id"] == "maritimes-cluster-norddeutschland")
    assert (
        maritime["bundeslaender"]
        == "hamburg;bremen;schleswig-holstein;niedersachsen;mecklenburg-vorpommern"
    )
    assert (
        next(r for r in rows if r["decided_by"] == "anna")["decided_at"] == "2026-05-02T10:00:00Z"
    )


def test_json_export_is_an_array_of_objects(cli, reviewed_db, tmp_path):
    out = tmp_path / "export"
    cli("--db", reviewed_db, "export", "--format", "json", "--out", out, "--as-of", AS_OF)
    rows = json.loads((out / "classifications.json").read_text(encoding="utf-8"))
    assert len(rows) == 35
    assert rows[0]["cluster_id"] == "aviaspace-bremen"
    assert isinstance(rows[0]["bundeslaender"], list) and rows[0]["valid_to"] is None


def test_datapackage_describes_every_exported_file_with_enums_from_the_taxonomy(
    cli, labelled_db, tmp_path
):
    out = tmp_path / "export"
    cli("--db", labelled_db, "export", "--format", "csv", "--out", out)
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    [resource] = package["resources"]
    assert resource["path"] == "classifications.csv" and resource["mediatype"] == "text/csv"
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    with (out / "classifications.csv").open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(fields)
    taxonomy = load_taxonomy()
    all_keys = {k for d in taxonomy.dimension_keys() for k in taxonomy.keys(d)}
    assert set(fields["label_key"]["constraints"]["enum"]) == all_keys
    assert fields["dimension"]["constraints"]["enum"] == taxonomy.dimension_keys()
    assert fields["valid_from"]["type"] == "date" and fields["decided_at"]["type"] == "datetime"
    assert resource["schema"]["primaryKey"] == ["cluster_id", "dimension", "label_key"]

    cli("--db", labelled_db, "export", "--format", "parquet", "--out", out)
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "data-package"
    assert [r["path"] for r in package["resources"]] == [
        "classifications.csv",
        "classifications.parquet",
    ]
    parquet_fields = {f["name"]: f for f in package["resources"][1]["schema"]["fields"]}
    assert parquet_fields["bundeslaender"]["type"] == "array"
    assert "JSON array" in parquet_fields["bundeslaender"]["description"]


def test_export_refuses_to_overwrite_without_force(cli, labelled_db, tmp_path):
    out = tmp_path / "export"
    first = cli("--db", labelled_db, "export", "--format", "csv", "--out", out, "--as-of", AS_OF)
    assert first.exit_code == 0
    target = out / "classifications.csv"
    before = target.read_bytes()
    again = cli("--db", labelled_db, "export", "--format", "csv", "--out", out)
    assert again.exit_code == 1
    assert "already exists; use --force" in again.stderr
    assert target.read_bytes() == before
    forced = cli(
        "--db",
        labelled_db,
        "export",
        "--format",
        "csv",
        "--out",
        out,
        "--as-of",
        "2025-12-31",
        "--force",
    )
    assert forced.exit_code == 0 and "wrote 0 rows" in forced.stdout
    assert target.read_text(encoding="utf-8").count("\n") == 1  # header only
    assert not list(out.parent.glob(".export.*"))  # no staging folder left behind


@pytest.mark.parametrize("bad", ["2026-13-01", "01.06.2026", "soon"])
def test_bad_as_of_is_one_clear_error(cli, labelled_db, tmp_path, bad):
    result = cli("--db", labelled_db, "export", "--out", tmp_path, "--as-of", bad)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: --as-of: expected a date YYYY-MM-DD, got '{bad}'"
    assert not (tmp_path / "classifications.csv").exists()


def test_unknown_format_is_refused(cli, labelled_db, tmp_path):
    result = cli("--db", labelled_db, "export", "--format", "xlsx", "--out", tmp_path)
    assert result.exit_code == 1 and "--format: expected one of csv, parquet, json" in result.stderr


def test_export_of_a_quarter_is_as_of_its_last_day(cli, reviewed_db, tmp_path):
    # optence's review (valid from 2026-07-01) is in force at the end of 2026Q3, not of Q2.
    for quarter in ("2026Q2", "2026q3"):
        result = cli(
            "--db", reviewed_db, "export", "--format", "json", "--out", tmp_path / quarter,
            "--quarter", quarter,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    q2 = json.loads((tmp_path / "2026Q2" / "classifications.json").read_text(encoding="utf-8"))
    q3 = json.loads((tmp_path / "2026q3" / "classifications.json").read_text(encoding="utf-8"))
    assert "as of 2026-09-30" in result.stdout
    assert len(q3) == len(_expected(reviewed_db, dt.date(2026, 9, 30)))
    assert len(q2) == len(_expected(reviewed_db, dt.date(2026, 6, 30)))
    optence = [(r["dimension"], r["label_key"]) for r in q3 if r["cluster_id"] == "optence"]
    assert ("intensity", NO_SVI_RELEVANCE) in optence
    assert ("intensity", NO_SVI_RELEVANCE) not in [
        (r["dimension"], r["label_key"]) for r in q2 if r["cluster_id"] == "optence"
    ]


def test_export_refuses_both_quarter_and_as_of_and_a_bad_quarter(cli, labelled_db, tmp_path):
    both = cli(
        "--db", labelled_db, "export", "--out", tmp_path, "--quarter", "2026Q3",
        "--as-of", "2026-09-30",
    )  # fmt: skip
    assert both.exit_code == 1
    assert (
        both.stderr.strip() == "error: --as-of and --quarter exclude each other; give one of them"
    )
    bad = cli("--db", labelled_db, "export", "--out", tmp_path, "--quarter", "banana")
    assert bad.exit_code == 1 and bad.stderr.strip().startswith("error: --quarter: not a quarter")
    assert not (tmp_path / "classifications.csv").exists()
