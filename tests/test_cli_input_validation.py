"""Bad command-line input is one clear line on stderr and exit 1, before anything is written:
unknown cluster ids, dates and quarters outside 2020..today, and a --db file that cannot be a
warehouse. Every case runs through the real CLI on a real DuckDB file."""

from __future__ import annotations

import pytest

from clusterradar import clock
from clusterradar.inputs import EARLIEST_DATE, check_date, check_quarter
from clusterradar.quarters import Quarter, current_quarter
from clusterradar.warehouse import connect

# Should a check ever regress, no test may reach the real registry.
OFFLINE = {"CLUSTERRADAR_CRAWL_REGISTRY_START_URL": "http://127.0.0.1:9/"}


def table_counts(db) -> dict[str, int]:
    """Rows per table: equal before and after means nothing was written."""
    with connect(db, read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def assert_one_line_error(result, starts: str) -> str:
    assert result.exit_code == 1, result.output
    line = result.stderr
    assert line.startswith(f"error: {starts}"), line
    assert line.count("\n") == 1, line
    return line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["process", "--cluster", "no-such", "--no-progress"],
            "--cluster: no cluster with id 'no-such'",
        ),
        (
            ["process", "--cluster", "cast", "--cluster", "no-such", "--cluster", "nope"],
            "--cluster: no cluster with id 'no-such', 'nope'",
        ),
        (
            ["run", "--quarter", "2026Q4", "--cluster", "no-such", "--no-progress"],
            "--cluster: no cluster with id 'no-such'",
        ),
        (
            [
                "run",
                "--quarter",
                "2026Q4",
                "--cluster",
                "casst",
                "--no-progress",
                "--skip-registry",
            ],
            "--cluster: no cluster with id 'casst'; did you mean cast?",
        ),
    ],
)
def test_unknown_cluster_ids_fail_before_any_row_is_written(cli, labelled_db, args, message):
    before = table_counts(labelled_db)
    result = cli("--db", labelled_db, *args, env=OFFLINE)
    assert_one_line_error(result, message)
    assert table_counts(labelled_db) == before


def test_cluster_ids_in_an_empty_warehouse_say_to_run_init(cli, db_path):
    result = cli("--db", db_path, "process", "--cluster", "cast")
    assert_one_line_error(result, "--cluster: the warehouse has no clusters yet")


FUTURE_QUARTER = str(current_quarter().next())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "--as-of", "2099-01-01"], "--as-of 2099-01-01 is in the future"),
        (["export", "--as-of", "0001-01-01"], "--as-of 0001-01-01 is before 2020-01-01"),
        (["export", "--as-of", "2019-12-31"], "--as-of 2019-12-31 is before 2020-01-01"),
        (["export", "--quarter", "2099Q4"], "--quarter 2099Q4 is in the future"),
        (["export", "--quarter", FUTURE_QUARTER], f"--quarter {FUTURE_QUARTER} is in the future"),
        (["export", "--quarter", "2019q4"], "--quarter 2019Q4 is before 2020Q1"),
        (["report", "--quarter", "2099Q4"], "--quarter 2099Q4 is in the future"),
        (["report", "--quarter", "1999Q1"], "--quarter 1999Q1 is before 2020Q1"),
        (["diff", "--to", "2099Q4"], "--to 2099Q4 is in the future"),
        (["diff", "--from", "2019Q4", "--to", "2026Q3"], "--from 2019Q4 is before 2020Q1"),
        (["run", "--quarter", "2099Q4", "--no-progress"], "--quarter 2099Q4 is in the future"),
    ],
)
def test_dates_and_quarters_outside_2020_to_now_are_refused_before_writing(
    cli, labelled_db, tmp_path, args, message
):
    before = table_counts(labelled_db)
    out = tmp_path / "out"
    writes_files = ["--out", out] if args[0] in {"export", "report"} else []
    result = cli("--db", labelled_db, *args, *writes_files, env=OFFLINE)
    assert_one_line_error(result, message)
    assert not out.exists()
    assert table_counts(labelled_db) == before


def test_the_bounds_themselves_are_accepted(cli, labelled_db, tmp_path):
    today = clock.today().isoformat()
    for n, flags in enumerate(
        (["--as-of", today], ["--as-of", "2020-01-01"], ["--quarter", str(current_quarter())])
    ):
        result = cli("--db", labelled_db, "export", "--out", tmp_path / str(n), *flags)
        assert result.exit_code == 0, result.stderr
    assert check_date(EARLIEST_DATE, "--as-of") == EARLIEST_DATE
    assert check_quarter(Quarter(2020, 1), "--quarter") == Quarter(2020, 1)


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--out", "OUT"],
        ["history", "cast"],
        ["process", "--no-progress"],
        ["report", "--quarter", "2026Q3", "--out", "OUT"],
        ["run", "--quarter", "2026Q4", "--no-progress", "--skip-registry"],
        ["init"],
        ["review", "list"],
    ],
)
@pytest.mark.parametrize("content", [b"", b"hello, I am not a database\n"])
def test_a_db_that_is_empty_or_not_duckdb_is_refused_and_left_untouched(
    cli, tmp_path, args, content
):
    db = tmp_path / "warehouse.duckdb"
    db.write_bytes(content)
    out = tmp_path / "out"
    result = cli("--db", db, *[str(out) if a == "OUT" else a for a in args], env=OFFLINE)
    if content:
        assert_one_line_error(result, f"warehouse {db} is not a DuckDB file; refusing to touch it")
    else:
        assert_one_line_error(result, f"warehouse {db} is an empty file (0 bytes)")
        assert "run 'clusterradar init'" in result.stderr
    assert db.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


def test_a_broken_db_does_not_stop_commands_that_never_open_it(cli, tmp_path):
    db = tmp_path / "empty.duckdb"
    db.touch()
    result = cli("--db", db, "config", "show")
    assert result.exit_code == 0 and f'db = "{db}"' in result.stdout
