"""What the cluster page reads of a cluster's suggestions, in one query (issue 17): per dimension
the latest finished run's suggestions, and rank 1 of the quarter before."""

from __future__ import annotations

import datetime as dt

from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.review_pages import cluster_suggestions
from tests.test_review_seed import add_cluster, add_run, add_suggestion


def _at(month: int) -> dt.datetime:
    return dt.datetime(2026, month, 1, 9)


def test_the_cluster_page_reads_the_latest_run_per_dimension_and_rank_one_of_the_quarter_before(
    db_path,
):
    with connect(db_path) as con, transaction(con):
        add_cluster(con, "c", "Cluster C", ["bayern"], None)
        add_run(con, "q1", quarter="2026Q1", finished_at=_at(4))
        add_run(con, "q2", quarter="2026Q2", finished_at=_at(7))
        add_run(con, "q2-again", quarter="2026Q2", finished_at=_at(8))  # same quarter, later
        add_run(con, "q3-running", quarter="2026Q3", finished=False, finished_at=_at(10))
        ids = {
            "q1/intensity/1": add_suggestion(con, "q1", "c", "intensity", "a", 0.6, 1),
            "q1/intensity/2": add_suggestion(con, "q1", "c", "intensity", "b", 0.3, 2),
            "q2/intensity/1": add_suggestion(con, "q2", "c", "intensity", "b", 0.7, 1),
            "q2-again/intensity/1": add_suggestion(con, "q2-again", "c", "intensity", "c", 0.8, 1),
            "q2-again/intensity/2": add_suggestion(con, "q2-again", "c", "intensity", "a", 0.1, 2),
            "q1/svi/1": add_suggestion(con, "q1", "c", "svi_domains", "cyber", 0.5, 1),
            "q3/intensity/1": add_suggestion(con, "q3-running", "c", "intensity", "d", 0.9, 1),
        }
    with connect(db_path) as con:
        found = cluster_suggestions(con, "c")
    assert [c.suggestion_id for c in found.latest] == [
        ids["q2-again/intensity/1"],
        ids["q2-again/intensity/2"],
        ids["q1/svi/1"],  # svi_domains was last classified in q1; a running run never counts
    ]
    assert found.latest[0].cluster_name == "Cluster C" and found.latest[0].quarter == "2026Q2"
    # The quarter before 2026Q2 is q1's, not the earlier run of the same quarter.
    assert {d: s.suggestion_id for d, s in found.previous.items()} == {
        "intensity": ids["q1/intensity/1"]
    }
    assert found.previous["intensity"].quarter == "2026Q1"
