"""Is DuckDB the wrong store for review decisions? Decision-shaped transactions, measured.

``python -m benchmarks.decision_store [--threads 8] [--per-thread 50]``. Eight threads of one
process (the review app) each save decisions -- four point reads, three inserts, one
transaction -- while a second process appends a batch of 230 suggestions every 0.5 s (a
running ``classify``). Once through DuckDB the way Clusterradar opens it
(:func:`clusterradar.warehouse.db.connect`: one instance per process, fair inter-process lock),
once through SQLite in WAL mode (a store made for many short writers). Prints decisions per
second and latency percentiles for each. docs/concurrency.md explains what the numbers decide.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

TABLES = (
    "CREATE TABLE suggestions (suggestion_id VARCHAR PRIMARY KEY, run_id VARCHAR, "
    "cluster_id VARCHAR, dimension VARCHAR, label_key VARCHAR)",
    "CREATE TABLE decisions (decision_id VARCHAR PRIMARY KEY, suggestion_id VARCHAR, "
    "reviewer VARCHAR, action VARCHAR, decided_at TIMESTAMP)",
    "CREATE TABLE conclusions (suggestion_id VARCHAR PRIMARY KEY, decision_id VARCHAR)",
    "CREATE TABLE versions (version_id VARCHAR PRIMARY KEY, cluster_id VARCHAR, labels VARCHAR)",
)
BULK_WRITER = """
import sys, time, uuid, sqlite3
kind, path = sys.argv[1], sys.argv[2]
while True:
    rows = [(uuid.uuid4().hex, "bulk", "c", "intensity", "x") for _ in range(230)]
    if kind == "sqlite":
        con = sqlite3.connect(path, timeout=30)
        con.executemany("INSERT INTO suggestions VALUES (?, ?, ?, ?, ?)", rows)
        con.commit()
        con.close()
    else:
        from clusterradar.warehouse.db import connect, transaction
        with connect(path, require_schema=False) as con, transaction(con):
            con.executemany("INSERT INTO suggestions VALUES (?, ?, ?, ?, ?)", rows)
    time.sleep(0.5)
"""


def _decide(cur, suggestion_id: str) -> None:
    for table in ("suggestions", "conclusions", "decisions"):
        cur.execute(f"SELECT * FROM {table} WHERE suggestion_id = ?", [suggestion_id]).fetchall()
    cur.execute("SELECT * FROM versions WHERE cluster_id = ?", [suggestion_id]).fetchall()
    decision_id = uuid.uuid4().hex
    cur.execute(
        "INSERT INTO decisions VALUES (?, ?, 'anna', 'accept', CURRENT_TIMESTAMP)",
        [decision_id, suggestion_id],
    )
    cur.execute("INSERT INTO versions VALUES (?, ?, 'x')", [uuid.uuid4().hex, suggestion_id])
    cur.execute("INSERT INTO conclusions VALUES (?, ?)", [suggestion_id, decision_id])


def _create(kind: str, path: Path, suggestion_ids: list[str]) -> None:
    rows = [(sid, "r", sid, "svi_domains", "x") for sid in suggestion_ids]
    if kind == "sqlite":
        con = sqlite3.connect(path)
        con.execute("PRAGMA journal_mode=WAL")
    else:
        import duckdb

        con = duckdb.connect(str(path))
    for sql in TABLES:
        con.execute(sql)
    con.executemany("INSERT INTO suggestions VALUES (?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()


def _save_one(kind: str, path: Path, suggestion_id: str, in_process: threading.Lock) -> None:
    if kind == "sqlite":
        con = sqlite3.connect(path, timeout=30, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        _decide(con, suggestion_id)
        con.execute("COMMIT")
        con.close()
        return
    from clusterradar.warehouse.db import connect, transaction

    # as review.decisions.record_decision: the unit of work first, then the decision lock
    with connect(path, require_schema=False) as con, in_process, transaction(con):
        _decide(con, suggestion_id)


def measure(kind: str, folder: Path, threads: int, per_thread: int) -> str:
    path = folder / f"decisions.{kind}"
    suggestion_ids = [f"s{i:05d}" for i in range(threads * per_thread)]
    _create(kind, path, suggestion_ids)
    writer = subprocess.Popen([sys.executable, "-c", BULK_WRITER, kind, str(path)])
    latencies: list[float] = []
    in_process = threading.Lock()

    def reviewer(index: int) -> None:
        for suggestion_id in suggestion_ids[index * per_thread : (index + 1) * per_thread]:
            started = time.perf_counter()
            _save_one(kind, path, suggestion_id, in_process)
            latencies.append(time.perf_counter() - started)

    try:
        time.sleep(1.0)  # the bulk writer is under way
        started = time.perf_counter()
        workers = [threading.Thread(target=reviewer, args=(i,)) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        wall = time.perf_counter() - started
    finally:
        writer.kill()
        writer.wait()
    latencies.sort()

    def ms(share: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(share * len(latencies)))]

    return (
        f"{kind:7} {len(latencies)} decisions in {wall:5.1f} s = {len(latencies) / wall:4.0f}/s;"
        f" latency p50 {ms(0.5):4.0f} ms, p95 {ms(0.95):4.0f} ms, max {ms(1.0):4.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--per-thread", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("duckdb", "sqlite"):
            print(measure(kind, Path(folder), args.threads, args.per_thread), flush=True)


if __name__ == "__main__":
    main()
