"""The queue page lists one page of the queue and counts the whole (filtered) queue; ``/next``
steps through it. On randomised warehouses every page, every count and every step of ``/next``
must be exactly what the full computation in Python gives
(:func:`clusterradar.review.queue.pending_items`, which the cluster page, the report and
``review list`` use too). The app's queue kept in memory is held to the fresh queue by
tests/test_review_queue_index.py.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import fields

import pytest

from clusterradar.clock import today
from clusterradar.review import vocabulary
from clusterradar.review.pages import load_next, load_pending, load_queue_page
from clusterradar.review.queue import (
    REASONS,
    QueueFilters,
    build_queue,
    matches,
    next_after,
    position_key,
)
from clusterradar.settings import ReviewSettings
from clusterradar.warehouse import reviews
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.history import record_version
from clusterradar.warehouse.records import ReviewDecision
from clusterradar.warehouse.reviews import QueueCandidate
from tests.test_review_seed import add_cluster, add_run, add_suggestion

# Names whose order needs str.casefold (ß, umlauts, case) and ties broken by the next keys.
NAMES = ["Straße Nord", "strasse nord", "Ärzte-Netz", "ärzte-netz", "Zeta", "alpha", "Alpha"]
LANDS = ["bayern", "berlin", "hessen", "sachsen"]
REVIEWERS = ["anna", "bert", "carl"]


def _random_warehouse(db, rng: random.Random) -> list[str]:
    """Clusters (some dropped from the registry, one never registered), three finished runs
    and one still running, ranked suggestions with tied scores, decisions (some concluded,
    some awaiting a second reviewer) and label versions (some in the future); the ids of
    every suggestion."""
    dimensions = vocabulary.dimension_keys()
    keys = {d: [k for k, _ in vocabulary.choices(d)] for d in dimensions}
    ids = []
    with connect(db) as con, transaction(con):
        runs = []
        for number, quarter in enumerate(["2026Q1", "2026Q2", None, "2026Q2"]):
            run_id = f"run{number}"
            add_run(
                con,
                run_id,
                quarter=quarter,
                finished=number < 3,
                finished_at=dt.datetime(2026, 3, 1) + dt.timedelta(days=30 * number),
            )
            runs.append(run_id)
        clusters = [f"c{i:02d}" for i in range(24)]
        for cluster_id in clusters[:-1]:  # the last one has suggestions but no registry row
            lands = rng.sample(LANDS, rng.randint(0, 2))
            add_cluster(con, cluster_id, f"{rng.choice(NAMES)} {rng.randint(1, 3)}", lands, None)
            if rng.random() < 0.15:
                con.execute(
                    "UPDATE clusters SET missing_since = ? WHERE cluster_id = ?",
                    [dt.datetime(2026, 6, 1), cluster_id],
                )
        for cluster_id in clusters:
            for dimension in dimensions:
                for run_id in rng.sample(runs, rng.randint(0, 3)):
                    labels = rng.sample(keys[dimension], rng.randint(1, 4))
                    if dimension == "intensity" and rng.random() < 0.3:
                        labels = [
                            "no_svi_relevance",
                            *(k for k in labels if k != "no_svi_relevance"),
                        ]
                    for rank, label in enumerate(labels, start=1):
                        score = rng.choice([0.3, 0.45, 0.5, 0.55, 0.6, 0.75, 0.9])
                        sid = add_suggestion(con, run_id, cluster_id, dimension, label, score, rank)
                        ids.append(sid)
                        _decide(con, rng, sid, cluster_id, dimension, label)
                if rng.random() < 0.6:
                    in_force = rng.sample(keys[dimension], rng.randint(0, 2))
                    if dimension == "intensity":
                        in_force = [rng.choice([*keys[dimension], "no_svi_relevance"])]
                    record_version(
                        con,
                        cluster_id=cluster_id,
                        dimension=dimension,
                        labels=in_force,
                        valid_from=today() + dt.timedelta(days=rng.choice([-90, -1, 0, 30])),
                        source="review",
                        decided_by="anna",
                    )
    return ids


def _decide(con, rng: random.Random, sid: str, cluster_id: str, dimension: str, label: str):
    if rng.random() > 0.3:
        return
    for reviewer in rng.sample(REVIEWERS, rng.randint(1, 2)):
        decision = ReviewDecision(
            decision_id=uuid.uuid4().hex,
            suggestion_id=sid,
            cluster_id=cluster_id,
            dimension=dimension,
            action="accept",
            labels=[label],
            reviewer=reviewer,
            decided_at=dt.datetime(2026, 7, 1),
        )
        reviews.insert_decision(con, decision)
    if rng.random() < 0.5:
        reviews.insert_conclusion(
            con,
            suggestion_id=sid,
            decision_id=decision.decision_id,
            action="accept",
            version_id=None,
            concluded_at=dt.datetime(2026, 7, 1),
        )


def _full_queue(con, settings, viewer, filters):
    """The queue page from every pending item, computed in Python."""
    everything = load_pending(con, settings, viewer=viewer, filters=_with(filters, dropped=True))
    items = [i for i in everything if filters.dropped or not i.candidate.dropped]
    lands = sorted({land for item in items for land in item.candidate.bundeslaender})
    return build_queue(items, filters), lands, len(everything) - len(items)


def _with(filters: QueueFilters, **changes) -> QueueFilters:
    return QueueFilters(**{**{f: getattr(filters, f) for f in QueueFilters.__slots__}, **changes})


def _filters(rng: random.Random) -> list[QueueFilters]:
    dimension = rng.choice(vocabulary.dimension_keys())
    return [
        QueueFilters(),
        QueueFilters(dropped=True),
        QueueFilters(dimension=dimension),
        QueueFilters(bundesland=rng.choice(LANDS)),
        QueueFilters(dimension="intensity", label="no_svi_relevance", dropped=True),
        QueueFilters(label=rng.choice([k for k, _ in vocabulary.choices(dimension)])),
        QueueFilters(quarter="2026Q1"),
        QueueFilters(run_id="run2", bundesland=rng.choice(LANDS)),
    ]


def _as_tuple(item):
    return (item.candidate, item.current_labels, item.reason, item.awaiting_second)


SEEDS = [0, *(pytest.param(seed, marks=pytest.mark.slow) for seed in (1, 2, 3))]


@pytest.mark.parametrize("seed", SEEDS)
def test_each_page_and_the_counts_are_those_of_the_full_queue_in_python(db_path, seed):
    rng = random.Random(seed)
    _random_warehouse(db_path, rng)
    size = 5
    compared = 0
    with connect(db_path) as con:
        for four_eyes, viewer in ((False, "anna"), (True, "anna"), (True, "dora")):
            settings = ReviewSettings(four_eyes=four_eyes)
            for filters in _filters(rng):
                queue, lands, hidden = _full_queue(con, settings, viewer, filters)
                expected = [_as_tuple(i) for i in queue.items]
                pages = max(1, -(-len(expected) // size))
                for number in sorted({0, 1, 2, pages // 2 + 1, pages, pages + 3}):
                    page = load_queue_page(con, settings, viewer, filters, number, size)
                    at = (min(max(number, 1), pages) - 1) * size
                    listed = expected[at : at + size]
                    assert [_as_tuple(i) for i in page.window.items] == listed
                    assert [_as_tuple(i) for i in page.queue.items] == listed
                    assert (page.window.number, page.window.pages) == (at // size + 1, pages)
                    assert page.window.first == (at + 1 if listed else 0)
                    assert page.window.last == at + len(listed)
                    assert page.window.of == len(expected)
                    assert page.queue.total_pending == queue.total_pending
                    assert page.queue.by_dimension == queue.by_dimension
                    assert page.queue.by_reason == queue.by_reason
                    assert page.queue.by_bundesland == queue.by_bundesland
                    assert page.bundeslaender == lands
                    assert page.dropped_hidden == hidden
                compared += len(expected)
    assert compared > 200  # the random warehouses hold real queues, not empty ones


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_next_follows_the_full_queue_after_a_listed_a_vanished_or_an_unknown_item(db_path, seed):
    rng = random.Random(100 + seed)
    ids = _random_warehouse(db_path, rng)
    settings = ReviewSettings(four_eyes=bool(seed % 2))
    stepped = 0
    with connect(db_path) as con:
        for filters in _filters(rng)[:4]:
            items = load_pending(con, settings, viewer="anna", filters=filters)
            items = [i for i in items if matches(i, filters)]
            listed = {i.suggestion_id for i in items}
            vanished = [sid for sid in ids if sid not in listed]
            asks = [(None, None), ("unknown", "differs")]
            asks += [(items[-1].suggestion_id, None)] if items else []  # the end
            asks += [(i.suggestion_id, None) for i in rng.sample(items, min(12, len(items)))]
            asks += [(sid, rng.choice([*REASONS, None])) for sid in rng.sample(vanished, 12)]
            for after, reason in asks:
                place = None
                if after in vanished and reason is not None:
                    place = position_key(_candidate(con, after), reason)
                expected = next_after(items, after, place)
                found, pending = load_next(con, settings, "anna", filters, after, reason)
                assert pending == len(items)
                assert (found and _as_tuple(found)) == (expected and _as_tuple(expected))
                stepped += 1
    assert stepped > 80


def _candidate(con, suggestion_id: str) -> QueueCandidate:
    """A suggestion as the queue lists it, for its place once it has left the queue."""
    suggestion = reviews.load_suggestion(con, suggestion_id)
    facts = reviews.load_cluster(con, suggestion.cluster_id)
    stored = {f.name: getattr(suggestion, f.name) for f in fields(suggestion)}
    return QueueCandidate(**stored, cluster_name=facts.name if facts else suggestion.cluster_id)
