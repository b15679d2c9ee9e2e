"""The report's "what changed" section, the moves per Land, the run costs, and review counts
that agree in the report, the review app (over HTTP) and the CLI, on a real warehouse."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import httpx
import pytest

from clusterradar.quarterly.changes import collect_report
from clusterradar.quarterly.report import label_names, write_report
from clusterradar.settings import ReviewSettings, Settings
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.quarters import record_stage_event, start_attempt
from tests.conftest import serving
from tests.test_quarterly_report import Q3, Q4, T4, _decision, fill_two_quarters

PASSWORD = "correct horse battery"


@pytest.fixture
def two_quarters(db_path: Path) -> Path:
    return fill_two_quarters(db_path)


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _evidence(con, suggestion_id, rank, passage, snapshot_id=None):
    con.execute(
        "INSERT INTO suggestion_evidence (suggestion_id, rank, url, snapshot_id, passage, reason,"
        " score) VALUES (?, ?, ?, ?, ?, 'Sicherheitsausrichtung S=0.80', 0.8)",
        [suggestion_id, rank, "https://holz-cluster.example/ag/", snapshot_id, passage],
    )


def _holz_evidence(db: Path) -> None:
    """Q3 ranked level 4 second (0.10) and cited a forestry passage; Q4 cites it again and a
    new passage on protective vests (with markup a crawled page could carry)."""
    with connect(db) as con, transaction(con):
        con.execute(
            "INSERT INTO suggestions (suggestion_id, run_id, cluster_id, dimension, label_key,"
            " score, rank, model_version, training_data_hash, created_at) VALUES"
            " ('run3-holz-level4', 'run3', 'holz-cluster', 'intensity',"
            " 'primarily_civil_security_relevant', 0.1, 2, 'm1', 'h1', ?)",
            [T4],
        )
        _evidence(con, "run3-holz-cluster-intensity", 1, "Holz aus dem Schwarzwald.")
        _evidence(con, "run4-holz-cluster-intensity", 1, "Holz aus dem Schwarzwald.")
        _evidence(
            con,
            "run4-holz-cluster-intensity",
            2,
            "Schutzwesten <script>alert(1)</script> für die Bundeswehr",
            "site4-holz-cluster",
        )


def test_changed_section_shows_old_and_new_suggestion_score_change_and_new_evidence(
    two_quarters, tmp_path
):
    _holz_evidence(two_quarters)
    labels, _ = label_names()
    with connect(two_quarters, read_only=True) as con:
        report = collect_report(con, Q4, intensity_labels=labels)
    holz = report.changed[0]  # the biggest intensity score change comes first
    assert holz.cluster_id == "holz-cluster"
    change = next(c for c in holz.changes if c.kind == "suggestion")
    assert (change.dimension, change.before, change.after) == (
        "intensity",
        ["no_svi_relevance"],
        ["primarily_civil_security_relevant"],
    )
    assert (change.score_before, change.score_after, holz.score_change) == (0.1, 0.8, 0.7)
    # The passage both quarters cited is not "new evidence"; the vests passage is.
    assert holz.evidence.passage.startswith("Schutzwesten") and holz.evidence_is_new
    # new-net (new this quarter) and food-net (no suggestion any more) are rows too.
    assert {c.cluster_id for c in report.changed} == {"holz-cluster", "new-net", "food-net"}

    files = write_report(two_quarters, Q4, tmp_path / "relative")
    html = files.html.read_text(encoding="utf-8")
    section = html.split('id="changed"')[1].split("</table>")[0]
    assert "Keine SVI-Relevanz erkennbar" in section and "+0.70" in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section and "<script>" not in html
    assert 'href="/clusters/holz-cluster"' in section
    assert 'href="/snapshots/site4-holz-cluster?passage=Schutzwesten+%3Cscript%3E' in section
    markdown = files.markdown.read_text(encoding="utf-8")
    assert "&lt;script&gt;" in markdown and "(</clusters/holz-cluster>)" in markdown

    files = write_report(
        two_quarters,
        Q4,
        tmp_path / "absolute",
        review=ReviewSettings(public_url="https://review.example.org/"),
    )
    html = files.html.read_text(encoding="utf-8")
    assert 'href="https://review.example.org/clusters/holz-cluster"' in html


def test_moves_per_land_count_each_intensity_change_in_every_land_of_the_initiative(
    two_quarters, tmp_path
):
    labels, _ = label_names()
    with connect(two_quarters, read_only=True) as con:
        report = collect_report(con, Q4, intensity_labels=labels)
    # holz-cluster: no SVI relevance → level 4 (up); new-net: first classified; food-net
    # (Hessen and Thüringen): no intensity any more.
    assert report.land_moves == {
        "bayern": {"up": 1},
        "hessen": {"gone": 1},
        "sachsen": {"new": 1},
        "thueringen": {"gone": 1},
    }
    markdown = write_report(two_quarters, Q4, tmp_path).markdown.read_text(encoding="utf-8")
    moves = markdown.split("### Bewegungen je Land")[1].split("##")[0]
    assert "| Thüringen | 0 | 0 | 0 | 1 |" in moves and "| Bayern | 1 | 0 | 0 | 0 |" in moves


def test_run_costs_show_seconds_and_what_each_stage_produced(two_quarters, tmp_path):
    stats = {
        "sites": {"outcomes": {"ok": 3, "timeout": 1}, "pages": 12, "stage_seconds": 4.25},
        "pipeline": {
            "sites_extracted": 3,
            "pages_extracted": 10,
            "passages_written": 55,
            "stage_seconds": 61.5,
        },
        "classify": {"clusters": 3, "suggestions": 40, "stage_seconds": 7.0},
    }
    with connect(two_quarters) as con, transaction(con):
        attempt = start_attempt(con, str(Q4), {})
        for stage, numbers in stats.items():
            record_stage_event(
                con, attempt_id=attempt, quarter=str(Q4), stage=stage, status="done", stats=numbers
            )
    html = write_report(two_quarters, Q4, tmp_path).html.read_text(encoding="utf-8")
    table = html.split('id="stages"')[1].split("</table>")[0]
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in table.split("<tr>")[2:]]
    assert [r[:8] for r in rows] == [
        ["Website-Crawl", "fertig", "all", "4.2", "4", "12", "–", "–"],
        ["Textaufbereitung", "fertig", "all", "61.5", "3", "10", "55", "–"],
        ["Klassifikation", "fertig", "all", "7.0", "3", "–", "–", "40"],
    ]


def _report_counts(html: str) -> dict[str, int]:
    found = dict(re.findall(r'id="review-(\w+)">(\d+)<', html))
    return {k: int(v) for k, v in found.items()}


def _app_pending(base: str, quarter: str) -> int:
    with httpx.Client(base_url=base, follow_redirects=True) as client:
        token = TOKEN.search(client.get("/login").text).group(1)
        client.post(
            "/login",
            data={"username": "anna", "password": PASSWORD, "csrf_token": token, "next": "/"},
        )
        page = client.get("/", params={"quarter": quarter})
        assert page.status_code == 200, page.text
    return int(re.search(r'id="pending-count">(\d+)<', page.text).group(1))


@pytest.mark.slow
def test_review_counts_agree_in_report_app_and_cli(two_quarters, tmp_path, cli):
    from clusterradar.quarterly.run import review_queue_summary
    from clusterradar.review import auth
    from clusterradar.review.app import create_app

    with connect(two_quarters) as con, transaction(con):
        auth.create_user(con, "anna", PASSWORD, is_admin=False)
        # Rejected during Q4, but a decision on a Q3 suggestion: it counts for Q3 only.
        _decision(
            con,
            "run3-food-net-intensity",
            "food-net",
            "reject",
            [],
            T4 + dt.timedelta(days=2),
        )
    found = {}
    with serving(create_app(Settings(db=two_quarters))) as base:
        for quarter in (Q3, Q4):
            out = tmp_path / str(quarter)
            html = write_report(two_quarters, quarter, out).html.read_text(encoding="utf-8")
            report = _report_counts(html)
            printed = cli("--db", two_quarters, "report", "--quarter", str(quarter), "--out", out)
            assert printed.exit_code == 0, printed.output
            line = re.search(r"offen (\d+) · entschieden (\d+)", printed.stdout)
            listed = cli(
                "--db", two_quarters, "review", "list", "--quarter", str(quarter), "--json"
            )
            assert listed.exit_code == 0, listed.output
            app_open = _app_pending(base, str(quarter))
            assert report["open"] == int(line.group(1)) == json.loads(listed.stdout)["pending"]
            assert report["open"] == app_open
            # The review stage of `clusterradar run` prints these numbers too.
            stage = review_queue_summary(Settings(db=two_quarters), quarter)
            assert (stage["open"], stage["decided"]) == (report["open"], report["decided"])
            assert report["decided"] == int(line.group(2))
            assert (
                report["decided"] == report["accepted"] + report["overridden"] + report["rejected"]
            )
            found[str(quarter)] = report
    assert found["2026Q3"]["decided"] == 1 and found["2026Q3"]["rejected"] == 1
    assert found["2026Q4"]["decided"] == 2 and found["2026Q4"]["rejected"] == 0
    assert found["2026Q4"]["open"] == 2


def test_map_pies_and_shading_count_the_same_initiatives_and_captions_name_the_rest():
    from clusterradar.quarterly.plots import land_counts, land_map_png

    mix = {
        "bayern": {"primarily_security": 2, "balanced_dual_use": 1, "no_svi_relevance": 4},
        "bremen": {"no_svi_relevance": 2},
    }
    counts = land_counts(mix)
    assert counts["bayern"].mix == {"primarily_security": 2, "balanced_dual_use": 1}
    assert counts["bayern"].relevant == sum(counts["bayern"].mix.values()) == 3
    assert counts["bayern"].caption_numbers == "3 von 7"
    assert counts["bremen"].mix == {} and counts["bremen"].caption_numbers == "0 von 2"
    labels, names = label_names()
    assert land_map_png(mix, labels, names, "Karte").startswith(b"\x89PNG")
