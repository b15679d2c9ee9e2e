"""Two quarters end to end on a tiny loopback web: the real crawler, pipeline and classifier.

The web (tests/fixtures/quarterly/) is written for this test, not the demo's content:
five initiatives in the first quarter; before the second, the portal lists a sixth, the civil
food network adds a defence working group, and the tourism site goes offline.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

WEB = FIXTURES / "quarterly" / "web"
Q4_CHANGES = FIXTURES / "quarterly" / "q4-changes"
START = "/CLUSTER/Navigation/DE/Home/home.html"


def _cluster_id(con, name: str) -> str:
    return con.execute("SELECT cluster_id FROM clusters WHERE name = ?", [name]).fetchone()[0]


@pytest.mark.slow
def test_two_quarter_story_history_diff_and_report(tmp_path: Path, cli):
    from clusterradar.crawler.localweb import LocalWeb
    from clusterradar.demo.story import demo_settings, point_paper_clusters_at
    from clusterradar.quarterly.changes import collect_report
    from clusterradar.quarterly.diff import diff_quarters, top_suggestions
    from clusterradar.quarterly.report import label_names, write_report
    from clusterradar.quarterly.run import run_quarter
    from clusterradar.quarters import current_quarter
    from clusterradar.review.decisions import record_decision
    from clusterradar.warehouse.db import connect
    from clusterradar.warehouse.history import timeline, utcnow
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    later = current_quarter()
    earlier = later.previous()
    web_dir = tmp_path / "web"
    shutil.copytree(WEB, web_dir)
    db = tmp_path / "warehouse.duckdb"
    initialise_warehouse(db)

    with LocalWeb({p.name: p for p in web_dir.iterdir()}) as web:
        settings = demo_settings(db, web.url("portal") + START, max_pages=5)
        # The paper's real hosts are not reachable (nor wanted) in tests: use the loopback sites.
        pointed = point_paper_clusters_at(
            db,
            {
                "CyberForum e. V.": web.url("cyber") + "/",
                "Silicon Saxony e. V.": web.url("silicon") + "/",
            },
        )
        assert set(pointed) == {"cyberforum", "silicon-saxony"}
        first = run_quarter(
            settings, earlier, allow_private=True, registry_listed_only=True, progress=False
        )
        assert [s.status for s in first.stages] == ["done"] * 5
        with connect(db, read_only=True) as con:
            wehr = _cluster_id(con, "Wehrtechnik-Testnetz Weserbergland")
            runs_after_first = con.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]
            listed = con.execute(
                "SELECT count(*) FROM cluster_sightings s JOIN crawl_runs r USING (crawl_run_id)"
                " WHERE r.quarter = ?",
                [str(earlier)],
            ).fetchone()[0]
            # The paper's clusters are matched by name, not duplicated.
            assert _cluster_id(con, "CyberForum e. V.") == "cyberforum"
            top = {(s.cluster_id, s.dimension): s for s in top_suggestions(con, earlier)}
        assert listed == 5
        assert (wehr, "intensity") in top

        # Rerunning the same quarter (here through the CLI) reuses every done stage: nothing
        # is crawled, extracted or classified again.
        again = cli(
            "--db", db, "run", "--quarter", str(earlier), "--allow-private",
            "--registry-listed-only", "--no-progress",
        )  # fmt: skip
        assert again.exit_code == 0, again.output
        statuses = re.findall(r"│ (done|reused|skipped)\s+│", again.stdout)
        assert statuses == ["reused"] * 4 + ["done"]
        with connect(db, read_only=True) as con:
            assert con.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == runs_after_first

        # A reviewer overrides the security network's intensity in the later quarter.
        record_decision(
            db,
            suggestion_id=top[(wehr, "intensity")].suggestion_id,
            action="override",
            labels=["primarily_security"],
            reviewer="tester",
        )
        shutil.copytree(Q4_CHANGES, web_dir, dirs_exist_ok=True)
        web.set_offline("tourism", True)
        second = run_quarter(
            settings, later, allow_private=True, registry_listed_only=True, progress=False
        )
        assert [s.status for s in second.stages] == ["done"] * 5

    with connect(db, read_only=True) as con:
        versions = [v for v in timeline(con, wehr) if v.dimension == "intensity"]
        assert [(v.labels, v.source, v.decided_by) for v in versions] == [
            (["primarily_security"], "review", "tester")
        ]
        assert versions[0].valid_from == utcnow().date()
        diff = diff_quarters(con, earlier, later)
        labels, _ = label_names()
        report = collect_report(con, later, intensity_labels=labels)
        food = _cluster_id(con, "Ernährungsnetz Testregion")
        tourism = _cluster_id(con, "Ferienregion Testküste")
        drohnen = _cluster_id(con, "Drohnenabwehr-Testnetz Altmark")

    changed = {(c.cluster_id, c.dimension): c for c in diff.classification_changes}
    assert changed[(wehr, "intensity")].kind == "added"
    assert changed[(wehr, "intensity")].after == ["primarily_security"]
    assert diff.to_run_id is not None and diff.from_run_id != diff.to_run_id

    assert [c.cluster_id for c in report.new] == [drohnen] and report.vanished == []
    assert report.listed == 6
    assert tourism in {p.cluster_id for p in report.unreachable}
    food_share = next(s for s in report.signal_shares if s.cluster_id == food)
    assert food_share.change is not None and food_share.change > 0.1
    assert food in {s.cluster_id for s in report.noticeable_signal_changes}
    # The override answered an earlier-quarter suggestion: it counts there, not in this quarter;
    # the classification it put in force is one of this quarter's changed rows.
    assert report.review.open.total > 0 and report.review.decided == 0
    assert wehr in {c.cluster_id for c in report.changed}

    files = write_report(db, later, tmp_path / "reports")
    html = files.html.read_text(encoding="utf-8")
    assert "Drohnenabwehr-Testnetz Altmark" in html and "Ferienregion Testküste" in html
    assert files.markdown.stat().st_size > 500
