"""Change report and diff on a warehouse filled directly with two quarters of known facts."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from clusterradar.quarterly.changes import collect_report
from clusterradar.quarterly.diff import diff_quarters
from clusterradar.quarterly.report import label_names, write_report
from clusterradar.quarters import parse_quarter
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.history import record_version

Q3, Q4 = parse_quarter("2026Q3"), parse_quarter("2026Q4")
T3 = dt.datetime(2026, 8, 10, 12, 0)
T4 = dt.datetime(2026, 11, 10, 12, 0)

CLUSTERS = [
    # id, name, Länder
    ("wehrtech-nord", "Wehrtechnik Nord <e.V.>", ["schleswig-holstein"]),
    ("holz-cluster", "Holzcluster Süd | Forst", ["bayern"]),
    ("food-net", "Ernährungsnetz Mitte", ["hessen", "thueringen"]),
    ("old-net", "Altes Netzwerk", ["berlin"]),
    ("new-net", "Neues Drohnennetz", ["sachsen"]),
]


def _insert_cluster(con, cluster_id, name, laender):
    con.execute(
        "INSERT INTO clusters (cluster_id, name, bundeslaender, website, origin, first_seen,"
        " last_seen) VALUES (?, ?, ?, ?, 'registry', ?, ?)",
        [cluster_id, name, laender, f"https://{cluster_id}.example/", T3, T4],
    )


def _registry_crawl(con, run_id, quarter, at, cluster_ids):
    con.execute(
        "INSERT INTO crawl_runs (crawl_run_id, kind, quarter, started_at, finished_at, status)"
        " VALUES (?, 'registry', ?, ?, ?, 'finished')",
        [run_id, quarter, at, at],
    )
    for cluster_id in cluster_ids:
        con.execute(
            "INSERT INTO cluster_sightings (crawl_run_id, cluster_id, seen_at, name)"
            " VALUES (?, ?, ?, ?)",
            [run_id, cluster_id, at, cluster_id],
        )


def _site_crawl(con, run_id, quarter, at, outcomes, passages):
    """outcomes: {cluster: outcome}; passages: {cluster: (n_passages, n_with_signal)}."""
    con.execute(
        "INSERT INTO crawl_runs (crawl_run_id, kind, quarter, started_at, finished_at, status)"
        " VALUES (?, 'sites', ?, ?, ?, 'finished')",
        [run_id, quarter, at, at],
    )
    for cluster_id, outcome in outcomes.items():
        con.execute(
            "INSERT INTO site_outcomes (crawl_run_id, cluster_id, seed_url, outcome, pages,"
            " detail, finished_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
            [run_id, cluster_id, f"https://{cluster_id}.example/", outcome, "refused <x>", at],
        )
    for cluster_id, (total, signal) in passages.items():
        snapshot_id = f"{run_id}-{cluster_id}"
        con.execute(
            "INSERT INTO page_snapshots (snapshot_id, crawl_run_id, cluster_id, url, fetched_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [snapshot_id, run_id, cluster_id, f"https://{cluster_id}.example/", at],
        )
        for seq in range(total):
            terms = ["Bundeswehr"] if seq < signal else []
            con.execute(
                "INSERT INTO passages (snapshot_id, cluster_id, seq, passage_hash, text, lemmas,"
                " lexicon_terms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [snapshot_id, cluster_id, seq, f"{snapshot_id}-{seq}", "text", "text", terms],
            )


def _classification_run(con, run_id, quarter, at, tops):
    """tops: {(cluster, dimension): label} written as rank-1 suggestions."""
    con.execute(
        "INSERT INTO classification_runs (run_id, quarter, started_at, finished_at, status,"
        " model_version, code_version, training_data_hash) VALUES (?, ?, ?, ?, 'finished',"
        " 'm1', 'c1', 'h1')",
        [run_id, quarter, at, at],
    )
    for (cluster_id, dimension), label in tops.items():
        con.execute(
            "INSERT INTO suggestions (suggestion_id, run_id, cluster_id, dimension, label_key,"
            " score, rank, model_version, training_data_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, 0.8, 1, 'm1', 'h1', ?)",
            [f"{run_id}-{cluster_id}-{dimension}", run_id, cluster_id, dimension, label, at],
        )


def _decision(con, suggestion_id, cluster_id, action, labels, at):
    """A concluded single-reviewer decision, as `record_decision` stores one."""
    con.execute(
        "INSERT INTO review_decisions (decision_id, suggestion_id, cluster_id, dimension, action,"
        " labels, reviewer, decided_at) VALUES (?, ?, ?, 'intensity', ?, ?, 'anna', ?)",
        [f"d-{suggestion_id}", suggestion_id, cluster_id, action, labels, at],
    )
    con.execute(
        "INSERT INTO review_conclusions VALUES (?, ?, ?, NULL, ?)",
        [suggestion_id, f"d-{suggestion_id}", action, at],
    )


@pytest.fixture
def two_quarters(db_path: Path) -> Path:
    return fill_two_quarters(db_path)


def fill_two_quarters(db_path: Path) -> Path:
    """Q3: four listed clusters; Q4: old-net vanished, new-net appeared, food-net offline,
    holz-cluster's share of SVI passages jumped, one suggestion accepted, one overridden."""
    with connect(db_path) as con, transaction(con):
        for cluster in CLUSTERS:
            _insert_cluster(con, *cluster)
        record_version(
            con,
            cluster_id="wehrtech-nord",
            dimension="intensity",
            labels=["primarily_security"],
            valid_from=dt.date(2026, 1, 1),
            source="paper",
        )
        _registry_crawl(
            con, "reg3", "2026Q3", T3, ["wehrtech-nord", "holz-cluster", "food-net", "old-net"]
        )
        _registry_crawl(
            con, "reg4", "2026Q4", T4, ["wehrtech-nord", "holz-cluster", "food-net", "new-net"]
        )
        _site_crawl(
            con,
            "site3",
            "2026Q3",
            T3,
            {"wehrtech-nord": "ok", "holz-cluster": "ok", "food-net": "ok", "old-net": "ok"},
            {"wehrtech-nord": (10, 8), "holz-cluster": (10, 0), "food-net": (10, 1)},
        )
        _site_crawl(
            con,
            "site4",
            "2026Q4",
            T4,
            {"wehrtech-nord": "ok", "holz-cluster": "ok", "food-net": "timeout", "new-net": "ok"},
            {"wehrtech-nord": (10, 8), "holz-cluster": (10, 4), "new-net": (5, 5)},
        )
        _classification_run(
            con,
            "run3",
            "2026Q3",
            T3,
            {
                ("wehrtech-nord", "intensity"): "primarily_security",
                ("holz-cluster", "intensity"): "no_svi_relevance",
                ("food-net", "intensity"): "no_svi_relevance",
            },
        )
        _classification_run(
            con,
            "run4",
            "2026Q4",
            T4,
            {
                ("wehrtech-nord", "intensity"): "primarily_security",
                ("holz-cluster", "intensity"): "primarily_civil_security_relevant",
                ("new-net", "intensity"): "balanced_dual_use",
                ("new-net", "application_fields"): "aerospace_space_defence",
            },
        )
        # Reviews during Q4: accept holz-cluster's new level, override new-net's.
        decided = T4 + dt.timedelta(days=1)
        _decision(
            con,
            "run4-holz-cluster-intensity",
            "holz-cluster",
            "accept",
            ["primarily_civil_security_relevant"],
            decided,
        )
        record_version(
            con,
            cluster_id="holz-cluster",
            dimension="intensity",
            labels=["primarily_civil_security_relevant"],
            valid_from=decided.date(),
            source="review",
            decided_by="anna",
        )
        _decision(
            con, "run4-new-net-intensity", "new-net", "override", ["primarily_security"], decided
        )
        record_version(
            con,
            cluster_id="new-net",
            dimension="intensity",
            labels=["primarily_security"],
            valid_from=decided.date(),
            source="review",
            decided_by="anna",
        )
    return db_path


def test_diff_lists_classifications_that_changed_between_as_of_dates(two_quarters):
    with connect(two_quarters, read_only=True) as con:
        diff = diff_quarters(con, Q3, Q4)
    changes = {(c.cluster_id, c.dimension): c for c in diff.classification_changes}
    assert set(changes) == {("holz-cluster", "intensity"), ("new-net", "intensity")}
    assert changes[("holz-cluster", "intensity")].kind == "added"
    assert changes[("holz-cluster", "intensity")].after == ["primarily_civil_security_relevant"]
    assert changes[("holz-cluster", "intensity")].source == "review"
    assert diff.from_run_id == "run3" and diff.to_run_id == "run4"
    suggested = {(s.cluster_id, s.dimension): (s.before, s.after) for s in diff.suggestion_changes}
    assert suggested == {
        ("holz-cluster", "intensity"): ("no_svi_relevance", "primarily_civil_security_relevant"),
        ("food-net", "intensity"): ("no_svi_relevance", None),
        ("new-net", "intensity"): (None, "balanced_dual_use"),
        ("new-net", "application_fields"): (None, "aerospace_space_defence"),
    }


def test_a_later_partial_classification_run_replaces_only_its_own_clusters(two_quarters):
    """`classify --cluster holz-cluster --quarter 2026Q4` after the full run: the diff and the
    report take holz-cluster from the partial run and everyone else still from the full run."""
    with connect(two_quarters) as con, transaction(con):
        _classification_run(
            con,
            "run4-partial",
            "2026Q4",
            T4 + dt.timedelta(days=3),
            {("holz-cluster", "intensity"): "balanced_dual_use"},
        )
    labels, _ = label_names()
    with connect(two_quarters, read_only=True) as con:
        diff = diff_quarters(con, Q3, Q4)
        report = collect_report(con, Q4, intensity_labels=labels)
    suggested = {(s.cluster_id, s.dimension): (s.before, s.after) for s in diff.suggestion_changes}
    assert suggested == {
        ("holz-cluster", "intensity"): ("no_svi_relevance", "balanced_dual_use"),
        ("food-net", "intensity"): ("no_svi_relevance", None),
        ("new-net", "intensity"): (None, "balanced_dual_use"),
        ("new-net", "application_fields"): (None, "aerospace_space_defence"),
    }
    assert diff.to_run_id == "run4-partial"
    # Open: holz-cluster's new suggestion (partial run), wehrtech-nord's intensity and
    # new-net's thematic one. Decided: both decisions on Q4 suggestions, the one on the
    # replaced full-run suggestion of holz-cluster included.
    assert report.review.open.total == 3
    assert report.review.decided == 2
    assert {(d.cluster_id, d.dimension) for d in report.differing} == {
        ("new-net", "intensity"),
        ("holz-cluster", "intensity"),
    }
    assert report.land_mix["sachsen"] == {"primarily_security": 1}


def test_diff_of_a_quarter_with_itself_is_empty(two_quarters):
    with connect(two_quarters, read_only=True) as con:
        diff = diff_quarters(con, Q4, Q4)
    assert diff.classification_changes == [] and diff.suggestion_changes == []


def test_report_facts_compare_the_quarter_with_the_previous_one(two_quarters):
    labels, _ = label_names()
    with connect(two_quarters, read_only=True) as con:
        report = collect_report(con, Q4, intensity_labels=labels)
    assert report.registry_compared and report.listed == 4
    assert [c.cluster_id for c in report.new] == ["new-net"]
    assert [c.cluster_id for c in report.vanished] == ["old-net"]
    assert [(p.cluster_id, p.outcome, p.newly_failing) for p in report.unreachable] == [
        ("food-net", "timeout", True)
    ]
    # holz-cluster went from 0 % to 40 % signal passages; wehrtech-nord stayed at 80 %.
    noticeable = report.noticeable_signal_changes
    assert [s.cluster_id for s in noticeable] == ["holz-cluster"]
    assert noticeable[0].change == pytest.approx(0.4)
    # new-net: overridden to level 1, so its level-3 suggestion differs; its thematic
    # suggestion has nothing in force yet.
    assert {(d.cluster_id, d.dimension) for d in report.differing} == {("new-net", "intensity")}
    assert {(d.cluster_id, d.dimension) for d in report.unclassified} == {
        ("new-net", "application_fields")
    }
    assert report.review.open.total == 2  # wehrtech-nord's intensity, new-net's thematic one
    assert report.review.open.by_dimension == {"intensity": 1, "application_fields": 1}
    assert report.review.decided == 2
    assert report.review.by_action == {"accept": 1, "override": 1, "reject": 0}
    confusion = report.confusion
    row = confusion.suggested.index("balanced_dual_use")
    column = confusion.decided.index("primarily_security")
    assert confusion.counts[row][column] == 1 and confusion.total == 2
    # Map: Länder counted per initiative (food-net counts in Hessen and Thüringen? no: it has
    # no intensity in Q4), new-net in Sachsen at level 1.
    assert report.land_mix["sachsen"] == {"primarily_security": 1}
    assert report.land_mix["bayern"] == {"primarily_civil_security_relevant": 1}
    assert "hessen" not in report.land_mix


def test_report_writes_self_contained_escaped_html_and_markdown(two_quarters, tmp_path):
    files = write_report(two_quarters, Q4, tmp_path / "out")
    html = files.html.read_text(encoding="utf-8")
    markdown = files.markdown.read_text(encoding="utf-8")
    assert files.html.name == "report-2026Q4.html" and files.markdown.name == "report-2026Q4.md"
    # Self-contained: four embedded PNGs (map, moves per Land, history, confusion), nothing
    # loaded from elsewhere.
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 4
    assert not re.search(r'(src|href)="(https?:)?//', html)
    # Warehouse text is escaped in HTML and table-safe in Markdown.
    assert "<e.V.>" not in html
    assert "refused &lt;x&gt;" in html and "<x>" not in html
    assert "Holzcluster Süd \\| Forst" in markdown
    assert re.search(r'id="kpi-new">1<', html) and re.search(r'id="kpi-vanished">1<', html)
    assert "Neues Drohnennetz" in markdown and "Altes Netzwerk" in markdown
    assert "+40 pp" in markdown


def test_report_and_diff_commands(two_quarters, tmp_path, cli):
    result = cli("--db", two_quarters, "report", "--quarter", "2026Q4", "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "report-2026Q4.html").is_file()
    result = cli("--db", two_quarters, "diff", "--from", "2026Q3", "--to", "2026Q4", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["to_as_of"] == "2026-12-31" and len(data["classification_changes"]) == 2
    result = cli("--db", two_quarters, "diff", "--from", "2026Q3", "--to", "2026Q4")
    assert result.exit_code == 0 and "Holzcluster" in result.stdout


def test_diff_rejects_a_malformed_quarter_with_one_line(two_quarters, cli):
    result = cli("--db", two_quarters, "diff", "--from", "2026-07", "--to", "2026Q4")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: --from: not a quarter")


def test_report_of_an_empty_warehouse_says_so_instead_of_failing(db_path, tmp_path):
    files = write_report(db_path, Q4, tmp_path)
    html = files.html.read_text(encoding="utf-8")
    assert "Für dieses Quartal wurde kein Lauf aufgezeichnet" in html
    assert "Noch keine Review-Entscheidungen" in html
    assert "Für 2026Q3 liegt kein Klassifikationslauf vor" in html
    assert re.search(r'id="kpi-listed">0<', html)
