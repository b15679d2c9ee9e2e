"""The review app keeps the queue in memory and computes again only what the warehouse says
has changed (review/queue_index.py, issue 17). After every kind of write the kept queue must be
exactly the queue computed afresh: decisions through the real decision path (concluding, or
awaiting a second reviewer), label versions valid from the past, today or the future, the
registry dropping, renaming or moving an initiative, a new finished run, a run reopened, the
day turning. And it must do less: a read without writes computes nothing, a decision computes
its cluster only.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from clusterradar import clock
from clusterradar.errors import ClusterradarError
from clusterradar.review import decisions, vocabulary
from clusterradar.review.pages import load_queue_page
from clusterradar.review.queue import QueueFilters
from clusterradar.review.queue_index import QueueIndex
from clusterradar.settings import ReviewSettings
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.history import record_version
from tests.test_review_queue_page import LANDS, _as_tuple, _random_warehouse
from tests.test_review_seed import add_run, add_suggestion

FILTERS = [QueueFilters(), QueueFilters(quarter="2026Q1"), QueueFilters(run_id="run2")]
VIEWERS = ["anna", "bert"]


def _fresh(con, settings: ReviewSettings, viewer: str, filters: QueueFilters) -> list:
    return [_as_tuple(i) for i in QueueIndex(settings).read(con, viewer, filters).items]


def _kept(con, index: QueueIndex, viewer: str, filters: QueueFilters) -> list:
    return [_as_tuple(i) for i in index.read(con, viewer, filters).items]


def _decide(con, rng: random.Random, four_eyes: bool) -> bool:
    """A reviewer decides an item of the queue the way the app does; whether it was saved."""
    reviewer = rng.choice(VIEWERS)
    items = QueueIndex(ReviewSettings(four_eyes=four_eyes)).read(con, reviewer, FILTERS[0]).items
    if not items:
        return False
    item = rng.choice(items)
    action = rng.choice(["accept", "accept", "reject", "override"])
    labels = None
    if action == "override":
        keys = [k for k, _ in vocabulary.choices(item.candidate.dimension)]
        labels = [rng.choice(keys)]
    try:
        decisions.decide(
            con,
            suggestion_id=item.suggestion_id,
            action=action,
            reviewer=reviewer,
            labels=labels,
            four_eyes=four_eyes,
        )
    except ClusterradarError:
        return False  # refused (e.g. superseded): a refused decision writes nothing
    return True


def _version(con, rng: random.Random, cluster_ids: list[str]) -> None:
    dimension = rng.choice(vocabulary.dimension_keys())
    keys = [k for k, _ in vocabulary.choices(dimension)]
    record_version(
        con,
        cluster_id=rng.choice(cluster_ids),
        dimension=dimension,
        labels=[rng.choice(keys)] if dimension == "intensity" else rng.sample(keys, 2),
        valid_from=clock.today() + dt.timedelta(days=rng.choice([-10, 0, 1])),
        source="review",
        decided_by="carl",
    )


def _registry(con, rng: random.Random, cluster_ids: list[str]) -> None:
    cluster_id = rng.choice(cluster_ids)
    change = rng.choice(["drop", "back", "rename", "move"])
    if change == "drop":
        con.execute(
            "UPDATE clusters SET missing_since = ? WHERE cluster_id = ?",
            [dt.datetime(2026, 11, 1), cluster_id],
        )
    elif change == "back":
        con.execute("UPDATE clusters SET missing_since = NULL WHERE cluster_id = ?", [cluster_id])
    elif change == "rename":
        con.execute(
            "UPDATE clusters SET name = ? WHERE cluster_id = ?",
            [f"Straße {rng.randint(1, 99)}", cluster_id],
        )
    else:
        con.execute(
            "UPDATE clusters SET bundeslaender = ? WHERE cluster_id = ?",
            [[rng.choice(LANDS)], cluster_id],
        )


def _new_run(con, rng: random.Random, cluster_ids: list[str], number: int) -> None:
    run_id = f"later{number}"
    add_run(
        con,
        run_id,
        quarter="2026Q4",
        finished_at=dt.datetime(2026, 11, 1) + dt.timedelta(hours=number),
    )
    for cluster_id in rng.sample(cluster_ids, 3):
        dimension = rng.choice(vocabulary.dimension_keys())
        keys = [k for k, _ in vocabulary.choices(dimension)]
        for rank, label in enumerate(rng.sample(keys, 2), start=1):
            add_suggestion(con, run_id, cluster_id, dimension, label, rng.choice([0.4, 0.8]), rank)


def _reopen_or_finish(con, rng: random.Random) -> None:
    run_id = rng.choice(["run1", "run3"])
    status = con.execute(
        "SELECT status FROM classification_runs WHERE run_id = ?", [run_id]
    ).fetchone()[0]
    if status == "finished":
        con.execute(
            "UPDATE classification_runs SET status = 'running', finished_at = NULL "
            "WHERE run_id = ?",
            [run_id],
        )
    else:
        con.execute(
            "UPDATE classification_runs SET status = 'finished', finished_at = ? WHERE run_id = ?",
            [dt.datetime(2026, 10, 15), run_id],
        )


def _warehouse_and_index(db_path, seed: int) -> tuple[ReviewSettings, QueueIndex]:
    """A random warehouse (seeded) and an empty kept queue with default review settings."""
    _random_warehouse(db_path, random.Random(seed))
    settings = ReviewSettings()
    return settings, QueueIndex(settings)


@pytest.mark.parametrize("four_eyes", [False, True])
def test_the_kept_queue_is_the_fresh_queue_after_every_kind_of_write(db_path, four_eyes):
    rng = random.Random(17 + four_eyes)
    _random_warehouse(db_path, rng)
    settings = ReviewSettings(four_eyes=four_eyes)
    index = QueueIndex(settings)
    with connect(db_path) as con:
        cluster_ids = [row[0] for row in con.execute("SELECT cluster_id FROM clusters").fetchall()]
    kinds = {"decided": 0, "version": 0, "registry": 0, "run": 0, "reopen": 0}
    compared = 0
    for step in range(45):
        kind = rng.choice(["decide"] * 6 + ["version"] * 2 + ["registry", "run", "reopen"])
        kinds[kind] = kinds.get(kind, 0) + 1
        with connect(db_path) as con, transaction(con):
            if kind == "decide":
                kinds["decided"] += _decide(con, rng, four_eyes)
            elif kind == "version":
                _version(con, rng, cluster_ids)
            elif kind == "registry":
                _registry(con, rng, cluster_ids)
            elif kind == "run":
                _new_run(con, rng, cluster_ids, step)
            else:
                _reopen_or_finish(con, rng)
        with connect(db_path) as con:
            for viewer in VIEWERS:
                for filters in FILTERS:
                    expected = _fresh(con, settings, viewer, filters)
                    assert _kept(con, index, viewer, filters) == expected, (step, kind)
                    compared += len(expected)
    assert min(kinds.values()) > 0
    assert compared > 2000


def test_a_read_without_writes_computes_nothing_and_a_decision_only_its_cluster(db_path):
    settings, index = _warehouse_and_index(db_path, seed=5)
    with connect(db_path) as con:
        first = index.read(con, "anna", FILTERS[0])
        again = index.read(con, "anna", FILTERS[0])
    assert first.recomputed is None  # the first read computes the whole queue
    assert again.recomputed == ()
    assert [_as_tuple(i) for i in again.items] == [_as_tuple(i) for i in first.items]
    item = first.items[0]
    with connect(db_path) as con, transaction(con):
        decisions.decide(con, suggestion_id=item.suggestion_id, action="accept", reviewer="anna")
    with connect(db_path) as con:
        after = index.read(con, "anna", FILTERS[0])
        assert after.recomputed == (item.candidate.cluster_id,)
        assert item.suggestion_id not in {i.suggestion_id for i in after.items}
        assert [_as_tuple(i) for i in after.items] == _fresh(con, settings, "anna", FILTERS[0])


def test_a_label_valid_from_tomorrow_reaches_the_kept_queue_when_the_day_turns(
    db_path, monkeypatch
):
    settings, index = _warehouse_and_index(db_path, seed=9)
    with connect(db_path) as con:
        item = next(i for i in index.read(con, "anna", FILTERS[0]).items if i.reason != "differs")
    dimension = item.candidate.dimension
    other = next(k for k, _ in vocabulary.choices(dimension) if k != item.candidate.label_key)
    with connect(db_path) as con, transaction(con):
        record_version(
            con,
            cluster_id=item.candidate.cluster_id,
            dimension=dimension,
            labels=[other],
            valid_from=clock.today() + dt.timedelta(days=1),
            source="review",
            decided_by="carl",
        )
    with connect(db_path) as con:
        today = {i.suggestion_id: i for i in index.read(con, "anna", FILTERS[0]).items}
        assert today[item.suggestion_id].reason == item.reason
        tomorrow = clock.today() + dt.timedelta(days=1)
        monkeypatch.setattr(clock, "today", lambda: tomorrow)
        turned = index.read(con, "anna", FILTERS[0])
        assert turned.recomputed is None
        found = {i.suggestion_id: i for i in turned.items}
        assert found[item.suggestion_id].reason == "differs"
        assert found[item.suggestion_id].current_labels == [other]
        assert [_as_tuple(i) for i in turned.items] == _fresh(con, settings, "anna", FILTERS[0])


def test_the_queue_page_with_the_kept_queue_lists_what_the_fresh_page_lists(db_path):
    settings, index = _warehouse_and_index(db_path, seed=3)
    with connect(db_path) as con:
        for filters in [*FILTERS, QueueFilters(dropped=True, dimension="intensity")]:
            for number in (1, 2, 99):
                kept = load_queue_page(con, settings, "anna", filters, number, 7, index=index)
                fresh = load_queue_page(con, settings, "anna", filters, number, 7)
                assert [_as_tuple(i) for i in kept.queue.items] == [
                    _as_tuple(i) for i in fresh.queue.items
                ]
                assert kept.window == fresh.window
                assert kept.queue.by_reason == fresh.queue.by_reason
                assert kept.runs == fresh.runs
