"""The review pages read the labels in force without `effective_at` (issue 17): the queue with
a query of its own (`effective_at` windows over every column of every version and took most of
a queue request), the cluster page from the timeline it reads anyway. Both must put in force
exactly the version `effective_at` does, ties and future versions included.
"""

from __future__ import annotations

import datetime as dt

from clusterradar.review.pages import in_force
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.history import effective_at, record_version, timeline
from clusterradar.warehouse.review_pages import labels_in_force

DAYS = [dt.date(2026, 1, 1), dt.date(2026, 4, 1), dt.date(2026, 7, 1), dt.date(2027, 1, 1)]


def _version(con, cluster_id: str, labels: list[str], valid_from: dt.date) -> None:
    record_version(
        con,
        cluster_id=cluster_id,
        dimension="svi_domains",
        labels=labels,
        valid_from=valid_from,
        source="review",
        decided_by="anna",
    )


def _history(db_path) -> None:
    with connect(db_path) as con, transaction(con):
        _version(con, "plain", ["cyber"], DAYS[0])
        _version(con, "plain", ["space"], DAYS[1])
        _version(con, "tie", ["cyber"], DAYS[1])  # two versions valid from one day:
        _version(con, "tie", ["cyber", "space"], DAYS[1])  # the one recorded later wins
        _version(con, "future", ["cyber"], DAYS[3])  # not yet in force before 2027
        _version(con, "cleared", ["cyber"], DAYS[0])
        _version(con, "cleared", [], DAYS[2])  # explicitly no label


def test_labels_in_force_are_those_of_the_versions_effective_at_puts_in_force(db_path):
    _history(db_path)
    with connect(db_path) as con:
        for day in [*DAYS, DAYS[1] - dt.timedelta(days=1)]:
            expected = {(v.cluster_id, v.dimension): list(v.labels) for v in effective_at(con, day)}
            assert labels_in_force(con, day) == expected, day
        assert labels_in_force(con, DAYS[2]) == {
            ("plain", "svi_domains"): ["space"],
            ("tie", "svi_domains"): ["cyber", "space"],
            ("cleared", "svi_domains"): [],
        }


def test_the_cluster_page_takes_from_the_timeline_the_versions_effective_at_puts_in_force(
    db_path,
):
    _history(db_path)
    with connect(db_path) as con:
        for cluster_id in ("plain", "tie", "future", "cleared", "unknown"):
            versions = timeline(con, cluster_id)
            for day in [*DAYS, DAYS[1] - dt.timedelta(days=1)]:
                expected = effective_at(con, day, cluster_id=cluster_id)
                assert in_force(versions, day) == expected, (cluster_id, day)
