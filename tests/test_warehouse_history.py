"""Classification history: versions supersede each other by date; `history` prints them."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clusterradar.errors import NotFoundError
from clusterradar.labels import load_taxonomy
from clusterradar.warehouse import connect, transaction
from clusterradar.warehouse.clusters import (
    cluster_history,
    get_cluster,
    list_clusters,
    require_cluster,
)
from clusterradar.warehouse.history import effective_at, record_version

REVIEW_DATE = dt.date(2026, 4, 1)


def _review_cast(db, labels=("balanced_dual_use",), comment="Neue Dual-Use-Projekte"):
    """A reviewer's decision for CAST, recorded as the review stage does (decision + version)."""
    with connect(db) as con, transaction(con):
        con.execute(
            "INSERT INTO review_decisions (decision_id, cluster_id, dimension, action, labels,"
            " reviewer, decided_at, comment) VALUES ('dec-1', 'cast', 'intensity', 'override',"
            " ?, 'anna', ?, ?)",
            [list(labels), dt.datetime(2026, 4, 2, 9, 30), comment],
        )
        record_version(
            con,
            cluster_id="cast",
            dimension="intensity",
            labels=list(labels),
            valid_from=REVIEW_DATE,
            source="review",
            source_ref="dec-1",
            decided_by="anna",
            decided_at=dt.datetime(2026, 4, 2, 9, 30),
        )


def test_a_later_review_supersedes_the_paper_label_from_its_date_on(labelled_db):
    _review_cast(labelled_db)
    with connect(labelled_db, read_only=True) as con:
        before = effective_at(con, REVIEW_DATE - dt.timedelta(days=1), cluster_id="cast")
        on = effective_at(con, REVIEW_DATE, cluster_id="cast")
        other = effective_at(con, REVIEW_DATE, cluster_id="cyberforum")
    assert [(v.labels, v.source, v.valid_to) for v in before] == [
        (["primarily_security"], "paper", REVIEW_DATE)
    ]
    assert [(v.labels, v.source, v.valid_to) for v in on] == [
        (["balanced_dual_use"], "review", None)
    ]
    assert [v.labels for v in other] == [["balanced_dual_use"]]


def test_nothing_is_in_force_before_the_papers_date(labelled_db):
    with connect(labelled_db, read_only=True) as con:
        assert effective_at(con, dt.date(2025, 12, 31)) == []


def test_cluster_history_lists_versions_with_german_labels_and_comment(labelled_db):
    _review_cast(labelled_db)
    with connect(labelled_db, read_only=True) as con:
        entries = cluster_history(con, "cast", load_taxonomy())
    assert [(e.labels_de, e.source, e.valid_from, e.valid_to, e.comment) for e in entries] == [
        (["Primär sicherheitsorientiert"], "paper", dt.date(2026, 1, 1), REVIEW_DATE, None),
        (
            ["Gleichgewichtige Dual-Use-Technologien"],
            "review",
            REVIEW_DATE,
            None,
            "Neue Dual-Use-Projekte",
        ),
    ]


def test_history_command_prints_the_timeline_as_json(cli, labelled_db):
    _review_cast(labelled_db)
    result = cli("--db", labelled_db, "history", "cast", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cluster_id"] == "cast"
    versions = data["versions"]
    assert [v["source"] for v in versions] == ["paper", "review"]
    assert versions[0]["valid_to"] == "2026-04-01" and versions[1]["valid_to"] is None
    assert (
        versions[1]["decided_by"] == "anna" and versions[1]["comment"] == "Neue Dual-Use-Projekte"
    )


def test_history_command_prints_a_table_by_name(cli, labelled_db):
    result = cli("--db", labelled_db, "history", "Silicon Saxony e. V.")
    assert result.exit_code == 0, result.stderr
    assert "Primär zivil, aber sicherheitsrelevant" in result.stdout
    assert "VDI/VDE-IT (paper)" in result.stdout


def test_history_of_an_unknown_cluster_is_one_clear_error(cli, labelled_db):
    result = cli("--db", labelled_db, "history", "silicon-saxon")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: no cluster with id or name 'silicon-saxon'; did you mean silicon-saxony?"
    )


def test_require_cluster_accepts_id_name_and_unique_name_prefix(labelled_db):
    with connect(labelled_db, read_only=True) as con:
        assert require_cluster(con, "optonet").cluster_id == "optonet"
        assert require_cluster(con, "optonet e. v.").cluster_id == "optonet"
        assert require_cluster(con, "Silicon Saxony").cluster_id == "silicon-saxony"
        with pytest.raises(NotFoundError, match="matches several clusters"):
            require_cluster(con, "Innovationsnetzwerk Sicherheit")


def test_cluster_records_carry_the_papers_facts(labelled_db):
    with connect(labelled_db, read_only=True) as con:
        clusters = list_clusters(con)
        maritime = get_cluster(con, "maritimes-cluster-norddeutschland")
        missing = get_cluster(con, "no-such-cluster")
    assert len(clusters) == 33 and {c.origin for c in clusters} == {"paper"}
    assert maritime is not None and len(maritime.bundeslaender) == 5
    assert maritime.website == "https://www.maritimes-cluster.de" and maritime.go_cluster
    assert missing is None
