"""One writing process per warehouse file, for the whole time a unit of work is open.

DuckDB protects its file with a POSIX record lock (fcntl). Such a lock belongs to the process,
and closing *any* descriptor of the file in that process drops it. The review app serves
requests in threads; when one request opened the warehouse while another still held it, the
second `connect` used to read the file header (a Python open/close) and so dropped the lock of
the first. Another process (a running `classify`) could then open the file too: two writers,
and whatever the last one to checkpoint did not know about was gone.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from clusterradar.warehouse.db import connect

FOREIGN_WRITER = textwrap.dedent(
    """
    import sys, duckdb
    try:
        con = duckdb.connect(sys.argv[1])
    except duckdb.Error as exc:
        print("refused:", str(exc).splitlines()[0])
        sys.exit(0)
    con.execute("INSERT INTO t SELECT 'other process', range FROM range(1000)")
    con.close()
    print("wrote")
    """
)


def _other_process_writes(db: Path) -> str:
    """Let a second process try to open the file and write 1000 rows; returns what it did."""
    done = subprocess.run(
        [sys.executable, "-c", FOREIGN_WRITER, str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def _plain_table(tmp_path: Path) -> Path:
    db = tmp_path / "plain.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t (who VARCHAR, i INTEGER)")
    return db


def test_a_second_unit_of_work_in_the_process_keeps_other_processes_out(tmp_path):
    db = _plain_table(tmp_path)
    with connect(db, require_schema=False) as first:  # request 1, still working
        with connect(db, require_schema=False):  # request 2 opens and closes meanwhile
            pass
        other = _other_process_writes(db)
        first.execute("INSERT INTO t VALUES ('review app', 1)")
    assert other.startswith("refused"), "another process opened the file while we held it"
    with duckdb.connect(str(db), read_only=True) as con:
        rows = dict(con.execute("SELECT who, count(*) FROM t GROUP BY who").fetchall())
    assert rows == {"review app": 1}


def test_rows_written_by_the_other_process_after_we_closed_are_all_kept(tmp_path):
    db = _plain_table(tmp_path)
    with connect(db, require_schema=False) as con:
        con.execute("INSERT INTO t VALUES ('review app', 1)")
    assert _other_process_writes(db) == "wrote"
    with duckdb.connect(str(db), read_only=True) as con:
        rows = dict(con.execute("SELECT who, count(*) FROM t GROUP BY who").fetchall())
    assert rows == {"review app": 1, "other process": 1000}
