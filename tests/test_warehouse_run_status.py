"""A classification run says how it ended, even when its process was killed.

While a process writes a run it holds the run's liveness lock (an flock the kernel drops when
the process dies). The next `classify` marks every 'running' run whose lock nobody holds
'failed'; a run that a live process writes stays 'running' and cannot be taken over.
(The end-to-end version with a real, SIGKILLed `classify` is in test_review_stress.py.)
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from clusterradar.warehouse import suggestions as store
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.locks import RunBusyError

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from clusterradar.warehouse import suggestions as store
    from clusterradar.warehouse.db import connect
    db, run_id = Path(sys.argv[1]), sys.argv[2]
    with store.writing_run(db, run_id):
        with connect(db) as con:
            store.open_run(con, run_id=run_id, quarter="2026Q4", model_version="m",
                           code_version="c", training_data_hash="h", parameters={})
        print("writing", flush=True)
        time.sleep(60)
    """
)


def _status(db, run_id: str) -> str:
    with connect(db) as con:
        return con.execute(
            "SELECT status FROM classification_runs WHERE run_id = ?", [run_id]
        ).fetchone()[0]


def _fail_stale(db) -> list[str]:
    with connect(db) as con, transaction(con):
        return store.fail_stale_runs(con, db)


def _writer(db, run_id: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), run_id], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "writing"
    return process


def test_a_killed_writer_leaves_a_run_that_the_next_check_marks_failed(db_path):
    writer = _writer(db_path, "r-killed")
    try:
        assert _fail_stale(db_path) == []  # alive: left alone
        assert _status(db_path, "r-killed") == "running"
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
        assert _status(db_path, "r-killed") == "running"  # what the crash left behind
        assert _fail_stale(db_path) == ["r-killed"]
        assert _status(db_path, "r-killed") == "failed"
        assert _fail_stale(db_path) == []
    finally:
        writer.kill()
        writer.wait()


def test_a_run_that_a_live_process_writes_cannot_be_written_by_a_second_one(db_path):
    writer = _writer(db_path, "r-busy")
    try:
        with (
            pytest.raises(RunBusyError, match=rf"r-busy .*pid {writer.pid}"),
            store.writing_run(db_path, "r-busy"),
        ):
            pytest.fail("a second writer got in")
    finally:
        writer.kill()
        writer.wait()
    # Its writer is gone: the run can be resumed.
    with store.writing_run(db_path, "r-busy"), connect(db_path) as con:
        store.reopen_run(con, "r-busy")
    assert _status(db_path, "r-busy") == "finished"


@pytest.mark.parametrize(
    ("error", "status"), [(KeyboardInterrupt, "interrupted"), (ValueError, "failed")]
)
def test_a_run_that_ends_with_an_error_records_how_it_ended(db_path, error, status):
    with pytest.raises(error), store.writing_run(db_path, "r1"):
        with connect(db_path) as con:
            store.open_run(
                con,
                run_id="r1",
                quarter=None,
                model_version="m",
                code_version="c",
                training_data_hash="h",
                parameters={},
            )
        raise error
    assert _status(db_path, "r1") == status
    assert _fail_stale(db_path) == []
