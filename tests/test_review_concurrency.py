"""A decision saved in the web app while another PROCESS writes a classification run.

DuckDB lets one process write a file at a time. Both sides open the file briefly per unit of work
and retry while the other holds the lock (clusterradar.warehouse.db.connect), so both finish and
every row of both is there.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time

from fastapi.testclient import TestClient

from clusterradar.review.app import create_app
from clusterradar.warehouse.db import connect, transaction
from tests.test_review_seed import add_run, seed_warehouse, settings_for
from tests.test_review_web import decide, login

BATCHES = 40
PER_BATCH = 5


def write_classification_run(db: str, started, progress) -> None:
    """Simulates `clusterradar classify`: a run row, then suggestions in short transactions."""
    with connect(db, timeout=60) as con, transaction(con):
        add_run(con, "r2", quarter="2026Q4", finished=False)
    for batch in range(BATCHES):
        with connect(db, timeout=60) as con, transaction(con):
            for i in range(PER_BATCH):
                con.execute(
                    "INSERT INTO suggestions VALUES (?, 'r2', ?, 'intensity', ?, 0.5, ?, "
                    "'model-r2', 'hash2', ?)",
                    [
                        f"r2-{batch}-{i}",
                        f"bulk-{batch}",
                        f"label{i}",
                        i + 1,
                        dt.datetime(2026, 11, 1),
                    ],
                )
        progress.value = batch + 1
        started.set()
        time.sleep(0.05)  # the classifier computes between batches
    with connect(db, timeout=60) as con, transaction(con):
        con.execute(
            "UPDATE classification_runs SET status = 'finished', finished_at = now() "
            "WHERE run_id = 'r2'"
        )


def test_decisions_saved_while_another_process_writes_a_run_all_land(db_path):
    seeded = seed_warehouse(db_path)
    client = TestClient(create_app(settings_for(db_path)), follow_redirects=False)
    login(client)
    spawn = multiprocessing.get_context("spawn")
    started, progress = spawn.Event(), spawn.Value("i", 0)
    writer = spawn.Process(target=write_classification_run, args=(str(db_path), started, progress))
    writer.start()
    try:
        assert started.wait(60), "the writer process did not start"
        before = progress.value
        t0 = time.monotonic()
        responses = [
            decide(client, seeded.sid("cyberforum/intensity/primarily_security"), "accept"),
            decide(
                client,
                seeded.sid("newco/intensity/civil_base_technology"),
                "override",
                ["no_svi_relevance"],
            ),
            decide(client, seeded.sid("aviaspace/intensity/balanced_dual_use"), "reject"),
        ]
        elapsed = time.monotonic() - t0
        during = progress.value
        writer.join(120)
    finally:
        if writer.is_alive():
            writer.terminate()
    assert [r.status_code for r in responses] == [303, 303, 303]
    assert writer.exitcode == 0
    # the decisions landed after the run had started writing and before it had finished
    assert before > 0 and during < BATCHES, "the decisions did not overlap the run's writes"
    assert elapsed < 20
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM suggestions WHERE run_id = 'r2'").fetchone()[
            0
        ] == (BATCHES * PER_BATCH)
        assert (
            con.execute("SELECT status FROM classification_runs WHERE run_id = 'r2'").fetchone()[0]
            == "finished"
        )
        actions = con.execute("SELECT action FROM review_decisions ORDER BY decided_at").fetchall()
        assert actions == [("accept",), ("override",), ("reject",)]
        assert (
            con.execute(
                "SELECT count(*) FROM classification_versions WHERE source = 'review'"
            ).fetchone()[0]
            == 2
        )


def test_two_reviewers_racing_on_one_intensity_group_conclude_it_once(db_path):
    from concurrent.futures import ThreadPoolExecutor

    from clusterradar.errors import InputError
    from clusterradar.review.decisions import record_decision

    seeded = seed_warehouse(db_path)
    first = seeded.sid("cyberforum/intensity/primarily_security")
    alternative = seeded.sid("cyberforum/intensity/balanced_dual_use")

    def accept(args):
        suggestion_id, reviewer = args
        try:
            return record_decision(
                db_path, suggestion_id=suggestion_id, action="accept", reviewer=reviewer
            )
        except InputError as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(accept, [(first, "anna"), (alternative, "ben")]))
    assert sum(isinstance(r, InputError) for r in results) == 1
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM review_conclusions").fetchone()[0] == 1
        assert (
            con.execute(
                "SELECT count(*) FROM classification_versions WHERE source = 'review'"
            ).fetchone()[0]
            == 1
        )
