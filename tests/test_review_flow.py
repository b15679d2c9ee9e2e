"""The review queue as a reviewer walks it (issue 15): the queue continues after the decided
or skipped item, the confirmation names the initiative, dropped initiatives leave the default
queue, the cluster page shows rank 1 beside last quarter's suggestion with the axis scores and
says when the site was offline, and an admin accepts several rank-1 suggestions at once.

Over HTTP (FastAPI's TestClient) on a real DuckDB file seeded by tests/test_review_seed.py."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from clusterradar.review.app import create_app
from clusterradar.review.pages import load_cluster_page, load_pending, queue_reasons
from clusterradar.review.queue import QueueItem, next_after, position_key
from clusterradar.settings import ReviewSettings
from clusterradar.warehouse.axis_scores import insert_axis_scores
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.records import AxisScoreRecord, StoredSuggestion
from clusterradar.warehouse.reviews import QueueCandidate
from tests.test_review_seed import (
    PASSWORD,
    Seeded,
    add_run,
    add_suggestion,
    seed_warehouse,
    settings_for,
)

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
REQUEST_KEY = re.compile(r'name="request_key" value="([^"]+)"')
OPEN_ITEM = re.compile(r'class="open-item" href="/clusters/([^?"]+)\?')


@pytest.fixture
def seeded(db_path) -> Seeded:
    return seed_warehouse(db_path)


def logged_in(seeded: Seeded, name: str = "anna") -> TestClient:
    client = TestClient(create_app(settings_for(seeded.db)), follow_redirects=False)
    token = TOKEN.search(client.get("/login").text).group(1)
    response = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"}
    )
    assert response.status_code == 303
    return client


def follow(client: TestClient, response):
    """Follow redirects by hand; returns (final path and query, final page)."""
    while response.status_code == 303:
        location = response.headers["location"]
        response = client.get(location)
    assert response.status_code == 200, response.text[:500]
    return location, response


def focus_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["s"][0]


def decide_from_page(client: TestClient, page: str, suggestion_id: str, action: str):
    """Submit the decision form of `suggestion_id` on a cluster page, as the browser does."""
    article = page[page.index(f'id="s-{suggestion_id}"') :]
    form = article[: article.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    return client.post(f"/suggestions/{suggestion_id}/decide", data={**fields, "action": action})


def decision_count(seeded: Seeded) -> int:
    with connect(seeded.db) as con:
        return con.execute("SELECT count(*) FROM review_decisions").fetchone()[0]


def candidate(sid: str, name: str, score: float, dimension: str = "intensity") -> QueueCandidate:
    suggestion = StoredSuggestion(sid, "r1", name, dimension, "x", score, 1, "m", "2026Q3")
    return QueueCandidate.of(suggestion, cluster_name=name)


def test_next_after_a_vanished_item_continues_after_its_place_not_at_the_top():
    items = [
        QueueItem(candidate("a", "alpha", 0.9), None, "differs"),
        QueueItem(candidate("c", "gamma", 0.7), None, "new_cluster"),
        QueueItem(candidate("d", "delta", 0.9), None, "confirms"),
    ]
    place_of_b = position_key(candidate("b", "beta", 0.5), "low_confidence")
    assert next_after(items, "b", place_of_b).suggestion_id == "c"
    place_of_e = position_key(candidate("e", "eps", 0.1), "confirms")
    assert next_after(items, "e", place_of_e) is None  # the end, never back to "a"
    assert next_after(items, "b").suggestion_id == "a"  # place unknown: the front


def test_after_a_skip_and_a_decision_the_queue_goes_on_and_names_the_initiative(seeded: Seeded):
    client = logged_in(seeded)
    location, _ = follow(client, client.get("/next"))
    first = seeded.sid("cyberforum/intensity/primarily_security")
    assert focus_of(location) == first
    skipped = client.get(f"/clusters/cyberforum?s={first}")
    skip_url = re.search(r'href="([^"]+)" id="skip-link"', skipped.text).group(1)
    location, page = follow(client, client.get(skip_url.replace("&amp;", "&")))
    photonics = seeded.sid("photonics-bw/intensity/primarily_civil_security_relevant")
    assert focus_of(location) == photonics
    assert "CyberForum e. V.: „Primär sicherheitsorientiert“ übersprungen" in page.text
    assert 'name="reason" value="low_confidence"' in page.text

    response = decide_from_page(client, page.text, photonics, "reject")
    location, page = follow(client, response)
    # the skipped item still heads the queue, but the reviewer goes on after photonics-bw
    assert focus_of(location) == seeded.sid("newco/intensity/civil_base_technology")
    message = re.search(r'id="message" role="status">([^<]+)<', page.text).group(1)
    assert message.startswith("Photonics BW e. V.: Vorschlag") and "abgelehnt" in message


def test_at_the_end_of_the_queue_the_reviewer_sees_the_queue_not_its_first_item(seeded: Seeded):
    client = logged_in(seeded)
    last = seeded.sid("aviaspace/intensity/balanced_dual_use")
    page = client.get(f"/clusters/aviaspace?s={last}").text
    assert 'name="reason" value="confirms"' in page
    location, page = follow(client, decide_from_page(client, page, last, "accept"))
    assert urlsplit(location).path == "/"
    assert (
        "AVIASPACE Bremen e. V.: Vorschlag „Gleichgewichtige Dual-Use-Technologien“ angenommen."
        in page.text
    )
    assert "Ende der Warteschlange" in page.text
    assert re.search(r'id="pending-count">4<', page.text)


def test_dropped_initiatives_leave_the_default_queue_and_a_filter_shows_them(seeded: Seeded):
    with connect(seeded.db) as con, transaction(con):
        con.execute(
            "UPDATE clusters SET missing_since = ? WHERE cluster_id = 'newco'",
            [dt.datetime(2026, 11, 1)],
        )
    client = logged_in(seeded)
    queue = client.get("/").text
    assert "newco" not in OPEN_ITEM.findall(queue)
    assert re.search(r'id="pending-count">4<', queue) and 'id="dropped-hidden">1 ' in queue
    shown = client.get("/?dropped=1").text
    assert "newco" in OPEN_ITEM.findall(shown) and "nicht mehr im Register" in shown
    cluster = client.get("/clusters/newco").text
    assert 'id="dropped-notice"' in cluster and "2026-11-01" in cluster


def test_cluster_page_shows_rank_one_beside_last_quarter_and_collapses_the_other_ranks(
    seeded: Seeded,
):
    with connect(seeded.db) as con, transaction(con):
        add_run(con, "r-q2", quarter="2026Q2", finished_at=dt.datetime(2026, 7, 1, 9))
        add_suggestion(con, "r-q2", "cyberforum", "intensity", "balanced_dual_use", 0.64, 1)
        add_suggestion(con, "r-q2", "cyberforum", "intensity", "primarily_security", 0.2, 2)
    client = logged_in(seeded)
    page = client.get("/clusters/cyberforum").text
    intensity = page[page.index('id="dim-intensity"') : page.index('id="dim-svi_domains"')]
    rank1 = seeded.sid("cyberforum/intensity/primarily_security")
    rank2 = seeded.sid("cyberforum/intensity/balanced_dual_use")
    assert intensity.index(f'id="s-{rank1}"') < intensity.index('<details class="more-ranks"')
    assert intensity.index('<details class="more-ranks"') < intensity.index(f'id="s-{rank2}"')
    previous = intensity[intensity.index('id="previous-intensity"') :]
    previous = previous[: previous.index("</aside>")]
    assert "Gleichgewichtige Dual-Use-Technologien" in previous and "0.64" in previous
    assert "2026Q2" in previous
    svi = page[page.index('id="dim-svi_domains"') :]
    assert "Kein Vorschlag aus einem früheren Quartal" in svi
    assert "Weitere Ränge (2)" in svi


def test_cluster_page_shows_the_axis_scores_and_says_when_the_site_was_offline(seeded: Seeded):
    with connect(seeded.db) as con, transaction(con):
        insert_axis_scores(
            con,
            "r1",
            [
                AxisScoreRecord(
                    run_id="r1",
                    cluster_id="cyberforum",
                    model_version="model-r1",
                    passages_hash="h",
                    technology_potential=0.71,
                    security_orientation=0.43,
                    relevance=0.83,
                    outcome="primarily_security",
                ),
                AxisScoreRecord(
                    run_id="r1",
                    cluster_id="photonics-bw",
                    model_version="model-r1",
                    passages_hash=None,
                    technology_potential=None,
                    security_orientation=None,
                    relevance=None,
                    outcome="primarily_civil_security_relevant",
                    carried_from_run="r0",
                    note="Website nicht erreichbar; Vorschlag aus Quartal 2026Q2 übernommen",
                ),
            ],
        )
        con.execute(
            "INSERT INTO site_outcomes VALUES ('crawl9', 'photonics-bw', "
            "'https://photonicsbw.de/', 'timeout', 0, 'read timeout', ?)",
            [dt.datetime(2026, 9, 30, 8)],
        )
    client = logged_in(seeded)
    cyberforum = client.get("/clusters/cyberforum").text
    assert re.search(r'id="axis-t">0.71<', cyberforum)
    assert re.search(r'id="axis-s">0.43<', cyberforum)
    assert 'id="offline-notice"' not in cyberforum
    photonics = client.get("/clusters/photonics-bw").text
    assert 'id="axes"' not in photonics  # carried from a run before scores were stored
    offline = re.search(r'id="offline-notice">([^<]+)<', photonics).group(1)
    assert "nicht erreichbar" in offline and "Zeitüberschreitung" in offline
    assert "Vorschlag aus Quartal 2026Q2 übernommen" in photonics


def bulk_form(client: TestClient) -> dict[str, str]:
    page = client.get("/").text
    form = page[page.index('id="bulk-form"') :]
    return {
        "csrf_token": TOKEN.search(form).group(1),
        "request_key": REQUEST_KEY.search(form).group(1),
    }


def audit_rows(seeded: Seeded) -> dict[str, list]:
    with connect(seeded.db) as con:
        return {
            table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in (
                "review_decisions",
                "review_requests",
                "review_conclusions",
                "classification_versions",
            )
        }


def test_admin_bulk_accept_records_each_like_a_single_accept_and_a_retry_writes_nothing(
    seeded: Seeded,
):
    client = logged_in(seeded, "anna")
    chosen = [
        seeded.sid("newco/intensity/civil_base_technology"),
        seeded.sid("aviaspace/intensity/balanced_dual_use"),
    ]
    form = bulk_form(client)
    response = client.post("/suggestions/bulk-accept", data={**form, "suggestion_ids": chosen})
    assert response.status_code == 303
    _, page = follow(client, response)
    assert "2 Vorschläge angenommen" in page.text
    rows = audit_rows(seeded)
    decisions = rows["review_decisions"]
    assert sorted(d[1] for d in decisions) == sorted(chosen)
    assert {(d[4], d[6]) for d in decisions} == {("accept", "anna")}
    assert len(rows["review_requests"]) == 2 and len(rows["review_conclusions"]) == 2
    newco = [v for v in rows["classification_versions"] if v[1] == "newco"]
    assert len(newco) == 1 and ["civil_base_technology"] in newco[0]
    again = client.post("/suggestions/bulk-accept", data={**form, "suggestion_ids": chosen})
    assert again.status_code == 303
    assert audit_rows(seeded) == rows


def test_bulk_accept_is_all_or_nothing_admin_only_and_needs_its_csrf_token(seeded: Seeded):
    anna = logged_in(seeded, "anna")
    form = bulk_form(anna)
    rank2 = seeded.sid("cyberforum/intensity/balanced_dual_use")
    mixed = [seeded.sid("newco/intensity/civil_base_technology"), rank2]
    refused = anna.post("/suggestions/bulk-accept", data={**form, "suggestion_ids": mixed})
    assert refused.status_code == 400 and "nicht auf Rang 1" in refused.text
    forged = anna.post(
        "/suggestions/bulk-accept",
        data={**form, "csrf_token": "wrong", "suggestion_ids": mixed[:1]},
    )
    assert forged.status_code == 403
    ben = logged_in(seeded, "ben")
    assert 'id="bulk-form"' not in ben.get("/").text
    token = TOKEN.search(ben.get("/").text).group(1)
    not_admin = ben.post(
        "/suggestions/bulk-accept",
        data={"csrf_token": token, "request_key": form["request_key"], "suggestion_ids": mixed[:1]},
    )
    assert not_admin.status_code == 403 and "Administrator" in not_admin.text
    assert decision_count(seeded) == 0


def test_cluster_page_reasons_agree_with_the_queue_for_every_cluster(seeded: Seeded):
    with connect(seeded.db) as con:
        settings = ReviewSettings()
        queue = {i.suggestion_id: i.reason for i in load_pending(con, settings)}
        per_page = {}
        for cluster_id in ("cyberforum", "photonics-bw", "newco", "aviaspace"):
            page = load_cluster_page(con, cluster_id)
            per_page.update(queue_reasons(page, settings, None))
    assert per_page == queue and len(queue) == 5
