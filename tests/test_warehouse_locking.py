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
import threading
import time
from pathlib import Path

import duckdb
import pytest

from clusterradar.errors import WarehouseError, WarehouseLockedError
from clusterradar.warehouse.db import FAIR_TURN, connect

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


HOLDER = textwrap.dedent(
    """
    import sys, time
    from clusterradar.warehouse.db import connect
    with connect(sys.argv[1], require_schema=False, timeout=30) as con:
        con.execute("INSERT INTO t VALUES ('holder', 1)")
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)

WAITER = textwrap.dedent(
    """
    import sys, time
    from clusterradar.warehouse.db import connect
    t0 = time.monotonic()
    with connect(sys.argv[1], require_schema=False, timeout=float(sys.argv[2])) as con:
        con.execute("INSERT INTO t VALUES ('waiter', 1)")
    print(f"{time.monotonic() - t0:.2f}", flush=True)
    """
)


def _python(script: str, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_process_that_keeps_the_file_busy_yields_it_to_a_waiting_process(tmp_path):
    """Staggered request threads whose units of work always overlap never let the instance
    close on their own; the fair turn makes them finish and queue behind the waiter."""
    db = _plain_table(tmp_path)
    stop = threading.Event()

    def busy_requests(offset: float) -> None:
        time.sleep(offset)
        while not stop.is_set():
            with connect(db, require_schema=False) as con:
                con.execute("SELECT count(*) FROM t").fetchone()
                time.sleep(0.2)

    threads = [threading.Thread(target=busy_requests, args=(i * 0.05,)) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        waiter = _python(WAITER, db, 10)
        out, err = waiter.communicate(timeout=60)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert waiter.returncode == 0, err
    assert float(out) < 5
    with connect(db, require_schema=False) as con:
        assert con.execute("SELECT count(*) FROM t WHERE who = 'waiter'").fetchone()[0] == 1


def test_waiting_longer_than_the_timeout_is_a_clear_error_naming_the_holder(tmp_path):
    db = _plain_table(tmp_path)
    holder = _python(HOLDER, db, 5)
    try:
        assert holder.stdout.readline().strip() == "holding"
        t0 = time.monotonic()
        expected = rf"pid {holder.pid}\b.*more than 1s"
        with (
            pytest.raises(WarehouseLockedError, match=expected),
            connect(db, require_schema=False, timeout=1),
        ):
            pass
        assert 0.9 < time.monotonic() - t0 < 4
    finally:
        holder.kill()
        holder.wait()


def test_a_nested_unit_of_work_does_not_wait_for_the_turn_its_own_thread_holds(tmp_path):
    db = _plain_table(tmp_path)
    with connect(db, require_schema=False) as outer:
        waiter = _python(WAITER, db, 20)
        time.sleep(FAIR_TURN + 1.0)  # the waiter queues; this process's turn is over
        t0 = time.monotonic()
        with connect(db, require_schema=False, timeout=5) as inner:
            inner.execute("INSERT INTO t VALUES ('nested', 1)")
        assert time.monotonic() - t0 < 2
        outer.execute("INSERT INTO t VALUES ('outer', 1)")
    _, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, err
    with connect(db, require_schema=False) as con:
        rows = dict(con.execute("SELECT who, count(*) FROM t GROUP BY who").fetchall())
    assert rows == {"nested": 1, "outer": 1, "waiter": 1}


def test_a_foreign_file_is_refused_before_anything_is_opened(tmp_path):
    foreign = tmp_path / "notes.duckdb"
    foreign.write_bytes(b"not a database at all, just text")
    with (
        pytest.raises(WarehouseError, match="not a DuckDB file"),
        connect(foreign, require_schema=False),
    ):
        pass
    assert foreign.read_bytes() == b"not a database at all, just text"


def _is_same_instance_as_the_last_unit(db: Path, **options) -> bool:
    """Whether a unit of work finds what the previous one attached to the DuckDB instance
    (attachments belong to the instance and are gone once it has been closed)."""
    with connect(db, require_schema=False, **options) as con:
        found = con.execute(
            "SELECT count(*) FROM duckdb_databases() WHERE database_name = 'instance_probe'"
        ).fetchone()[0]
        if not found:
            con.execute("ATTACH ':memory:' AS instance_probe")
    return bool(found)


def test_a_lingering_instance_serves_the_next_unit_of_work_without_reopening(tmp_path):
    db = _plain_table(tmp_path)
    assert not _is_same_instance_as_the_last_unit(db, linger=30)
    assert _is_same_instance_as_the_last_unit(db, linger=30)
    assert _is_same_instance_as_the_last_unit(db)  # the last unit without linger closes it
    assert not _is_same_instance_as_the_last_unit(db)


def test_a_waiting_process_gets_a_lingering_file_at_once_and_both_writes_are_kept(tmp_path):
    """The review app keeps the file open between requests; a classification run that queues
    for it must not wait out the lingering time."""
    db = _plain_table(tmp_path)
    with connect(db, require_schema=False, linger=60) as con:
        con.execute("INSERT INTO t VALUES ('review app', 1)")
    assert _other_process_writes(db).startswith("refused"), "the instance did not linger"
    waiter = _python(WAITER, db, 30)
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, err
    assert float(out) < 5, f"the waiter waited {out}s for a file nobody was using"
    with connect(db, require_schema=False) as con:
        rows = dict(con.execute("SELECT who, count(*) FROM t GROUP BY who").fetchall())
    assert rows == {"review app": 1, "waiter": 1}


def test_a_lingering_instance_lets_the_file_go_when_its_time_is_up(tmp_path):
    db = _plain_table(tmp_path)
    with connect(db, require_schema=False, linger=0.3) as con:
        con.execute("INSERT INTO t VALUES ('review app', 1)")
    deadline = time.monotonic() + 10
    while (outcome := _other_process_writes(db)) != "wrote" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert outcome == "wrote"
    with duckdb.connect(str(db), read_only=True) as con:
        rows = dict(con.execute("SELECT who, count(*) FROM t GROUP BY who").fetchall())
    assert rows == {"review app": 1, "other process": 1000}


def test_the_log_is_checkpointed_in_large_steps_and_completely_when_the_file_closes(tmp_path):
    """Vectors arrive in many short transactions (issue 17); DuckDB's default checkpoint every
    16 MB of log rewrote the primary-key index each time. The warehouse lets the log grow past
    that and checkpoints it when the instance closes, without losing a row."""
    db = tmp_path / "vectors.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE v (k INTEGER PRIMARY KEY, vector FLOAT[])")
    log = Path(str(db) + ".wal")
    largest = 0
    with connect(db, require_schema=False) as con:
        for batch in range(12):  # 12 x 2,000 vectors of 2 KB: about 50 MB of log
            con.execute("BEGIN TRANSACTION")
            con.execute(
                "INSERT INTO v SELECT range, list_transform(range(512), lambda x: random()::FLOAT) "
                "FROM range(?, ?)",
                [batch * 2000, (batch + 1) * 2000],
            )
            con.execute("COMMIT")
            largest = max(largest, log.stat().st_size if log.exists() else 0)
    assert largest > 32 * 2**20  # with DuckDB's default it never passes about 16 MB
    assert not log.exists() or log.stat().st_size == 0  # checkpointed when the file closed
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT count(*), count(DISTINCT k) FROM v").fetchone() == (
            24000,
            24000,
        )
