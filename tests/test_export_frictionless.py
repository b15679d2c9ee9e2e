"""Both export kinds, in every format, pass `frictionless validate` (the frictionless package's
own validator, as a data user would run it on `datapackage.json`)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from frictionless import validate

from tests.test_export_suggestions import decided  # noqa: F401  (fixture)


def export_all(cli, db: Path, out: Path) -> None:
    for fmt in ("csv", "parquet", "json"):
        for kind in (["--suggestions", "--quarter", "2026Q3"], ["--as-of", "2026-09-30"]):
            result = cli("--db", db, "export", "--format", fmt, "--out", out, *kind)
            assert result.exit_code == 0, result.stderr


def errors_of(report) -> dict[str, list[str]]:
    return {task.name: [e.type for e in task.errors] for task in report.tasks}


def test_both_export_kinds_in_every_format_validate_with_frictionless(cli, decided, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    export_all(cli, decided.db, out)
    report = validate(str(out / "datapackage.json"))
    assert errors_of(report) == {
        f"{kind}-{fmt}": []
        for kind in ("classifications", "suggestions")
        for fmt in ("csv", "json", "parquet")
    }
    assert report.valid


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_classification_export_of_the_paper_labels_validates(cli, labelled_db, tmp_path, fmt):
    out = tmp_path / "out"
    assert cli("--db", labelled_db, "export", "--format", fmt, "--out", out).exit_code == 0
    report = validate(str(out / "datapackage.json"))
    assert report.valid, errors_of(report)


def test_the_validator_catches_a_status_outside_the_declared_ones(cli, decided, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    cli("--db", decided.db, "export", "--suggestions", "--quarter", "2026Q3", "--out", out)
    path = out / "suggestions.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    status = rows[0].index("decision_status")
    rows[1][status] = "maybe"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)
    report = validate(str(out / "datapackage.json"))
    assert not report.valid
    assert "constraint-error" in errors_of(report)["suggestions-csv"]
