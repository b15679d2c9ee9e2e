"""The review web app over HTTP (FastAPI's TestClient) on a real DuckDB file."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from fastapi.testclient import TestClient

from clusterradar.clock import today
from clusterradar.review.app import create_app
from clusterradar.review.queue import QUEUE_PAGE_SIZE
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.history import effective_at
from tests.test_review_seed import (
    PASSWORD,
    Seeded,
    add_cluster,
    add_run,
    add_snapshot,
    add_suggestion,
    seed_warehouse,
    settings_for,
)

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def seeded(db_path) -> Seeded:
    return seed_warehouse(db_path)


def client_for(seeded: Seeded, **review) -> TestClient:
    return TestClient(create_app(settings_for(seeded.db, **review)), follow_redirects=False)


@pytest.fixture
def client(seeded: Seeded) -> TestClient:
    return client_for(seeded)


def login(client: TestClient, name: str = "anna", password: str = PASSWORD, next: str = "/"):
    token = TOKEN.search(client.get("/login").text).group(1)
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token, "next": next}
    )


def csrf(client: TestClient) -> str:
    return TOKEN.search(client.get("/").text).group(1)


def decide(client: TestClient, suggestion_id: str, action: str, labels=(), comment: str = ""):
    data = {"action": action, "csrf_token": csrf(client), "comment": comment}
    if labels:
        data["labels"] = list(labels)
    return client.post(f"/suggestions/{suggestion_id}/decide", data=data)


def versions(seeded: Seeded, cluster_id: str, dimension: str) -> list[tuple]:
    with connect(seeded.db) as con:
        return con.execute(
            """SELECT labels, valid_from, source, source_ref, decided_by, model_version,
                      evidence_urls FROM classification_versions
               WHERE cluster_id = ? AND dimension = ? ORDER BY seq""",
            [cluster_id, dimension],
        ).fetchall()


def labels_on(seeded: Seeded, day: dt.date, cluster_id: str, dimension: str) -> list[str] | None:
    with connect(seeded.db) as con:
        found = effective_at(con, day, cluster_id=cluster_id, dimension=dimension)
    return list(found[0].labels) if found else None


def decision_rows(seeded: Seeded) -> list[tuple]:
    with connect(seeded.db) as con:
        return con.execute(
            "SELECT decision_id, suggestion_id, action, labels, reviewer, comment "
            "FROM review_decisions ORDER BY decided_at"
        ).fetchall()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/clusters/cyberforum",
        "/clusters/cyberforum/history",
        "/snapshots/snap-hostile",
        "/agreement",
        "/next",
    ],
)
def test_every_page_but_login_redirects_to_login_without_session(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert client.get("/login").status_code == 200


def test_decision_post_without_session_redirects_to_login_and_saves_nothing(
    client: TestClient, seeded: Seeded
):
    response = client.post(
        f"/suggestions/{seeded.sid('newco/intensity/civil_base_technology')}/decide",
        data={"action": "accept", "csrf_token": "x"},
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert decision_rows(seeded) == []


def test_login_sets_httponly_samesite_session_cookie(client: TestClient):
    response = login(client)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "clusterradar_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/").status_code == 200


def test_wrong_password_and_unknown_user_are_refused_alike(client: TestClient):
    wrong = login(client, password="not the password")
    unknown = login(client, name="mallory")
    assert wrong.status_code == unknown.status_code == 401
    assert "Name oder Passwort falsch" in wrong.text and "Name oder Passwort falsch" in unknown.text
    assert client.get("/").status_code == 303


def test_login_is_throttled_after_five_failures_even_with_the_right_password(client: TestClient):
    for _ in range(5):
        assert login(client, name="ben", password="wrong password").status_code == 401
    assert login(client, name="ben").status_code == 429


def test_one_reviewers_failures_do_not_lock_out_colleagues_on_the_same_address(
    seeded: Seeded,
):
    app = create_app(settings_for(seeded.db))  # one app: one throttle, one client address
    ben, anna = (TestClient(app, follow_redirects=False) for _ in range(2))
    for _ in range(5):
        assert login(ben, name="ben", password="wrong password").status_code == 401
    assert login(ben, name="ben").status_code == 429
    assert login(anna, name="anna").status_code == 303
    assert anna.get("/").status_code == 200


def test_login_without_its_csrf_token_is_rejected(client: TestClient):
    client.get("/login")
    response = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 403


def test_login_next_cannot_redirect_off_site(client: TestClient):
    assert login(client, next="//evil.example/x").headers["location"] == "/"


def test_errors_of_the_framework_are_german_pages_not_json(client: TestClient):
    login(client)
    forbidden = client.post("/logout", data={"csrf_token": "wrong"})
    assert forbidden.status_code == 403 and "Sicherheitsprüfung fehlgeschlagen" in forbidden.text
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Diese Seite gibt es nicht" in missing.text
    snapshot = client.get("/snapshots/nope")
    assert snapshot.status_code == 404 and "Kein gespeicherter Seitenstand" in snapshot.text
    cluster = client.get("/clusters/nowhere")
    assert cluster.status_code == 404 and "Kein Cluster" in cluster.text
    for page in (forbidden, missing, snapshot, cluster):
        assert "detail" not in page.text and "no page snapshot" not in page.text


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_decision_without_or_with_wrong_csrf_token_is_rejected(
    client: TestClient, seeded: Seeded, token
):
    login(client)
    data = {"action": "accept"}
    if token is not None:
        data["csrf_token"] = token
    suggestion = seeded.sid("newco/intensity/civil_base_technology")
    response = client.post(f"/suggestions/{suggestion}/decide", data=data)
    assert response.status_code == 403
    assert decision_rows(seeded) == []


def test_logout_needs_csrf_and_ends_the_session_for_good(client: TestClient):
    login(client)
    token = csrf(client)
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    stolen = client.cookies.get("clusterradar_session")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    client.cookies.set("clusterradar_session", stolen)  # replaying the old cookie does not work
    assert client.get("/").status_code == 303


def test_security_headers_forbid_inline_scripts_framing_and_referrers(client: TestClient):
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in response.text.replace('<script src="/static/review.js" defer>', "")


def test_queue_shows_counts_and_filters_by_bundesland_dimension_and_label(client: TestClient):
    login(client)
    page = client.get("/").text
    assert re.search(r'id="pending-count">5<', page)
    order = re.findall(r'class="open-item" href="/clusters/([^?"]+)\?', page)
    assert order == ["cyberforum", "photonics-bw", "newco", "cyberforum", "aviaspace"]
    bayern = client.get("/?bundesland=bayern").text
    assert re.findall(r'class="open-item" href="/clusters/([^?"]+)\?', bayern) == ["newco"]
    assert re.search(r'id="shown-count">1<', bayern) and re.search(r'id="pending-count">5<', bayern)
    svi = client.get("/?dimension=svi_domains").text
    assert re.findall(r'class="open-item" href="/clusters/([^?"]+)\?', svi) == ["cyberforum"]
    label = client.get("/?label=civil_base_technology").text
    assert re.findall(r'class="open-item" href="/clusters/([^?"]+)\?', label) == ["newco"]
    assert "queue-empty" in client.get("/?quarter=2030Q1").text


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("dimension=foo", "Unbekannte Dimension"),
        ("label=foo", "Unbekanntes Label"),
        ("dimension=intensity&label=digital_sovereignty", "Unbekanntes Label"),
        ("bundesland=atlantis", "Unbekanntes Bundesland"),
        ("quarter=banana", "Kein Quartal"),
        ("quarter=2026q5", "Kein Quartal"),
        ("run=nosuch", "Kein Klassifikationslauf"),
        ("run=r0-running", "nicht abgeschlossen"),
    ],
)
def test_unknown_filter_values_are_a_400_with_a_german_message_not_an_empty_queue(
    client: TestClient, query: str, problem: str
):
    login(client)
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert problem in response.text and "queue-empty" not in response.text
    assert 'id="reset-filters"' in response.text
    assert client.get(f"/next?{query}").status_code == 400


def test_a_lowercase_quarter_filter_is_accepted(client: TestClient):
    login(client)
    page = client.get("/?quarter=2026q3")
    assert page.status_code == 200 and re.search(r'id="shown-count">5<', page.text)
    assert 'value="2026Q3"' in page.text  # shown normalised


def test_bundesland_filter_and_column_show_german_names(client: TestClient):
    login(client)
    page = client.get("/").text
    assert '<option value="baden-wuerttemberg">Baden-Württemberg</option>' in page
    assert "<td>Baden-Württemberg</td>" in page and ">baden-wuerttemberg<" not in page


def test_accepting_a_suggestion_superseded_by_a_newer_run_is_refused(
    client: TestClient, seeded: Seeded
):
    old = seeded.sid("newco/intensity/civil_base_technology")
    with connect(seeded.db) as con, transaction(con):
        add_run(con, "r2", quarter="2026Q4", finished_at=dt.datetime(2026, 11, 2, 9))
        newer = add_suggestion(con, "r2", "newco", "intensity", "balanced_dual_use", 0.8, 1)
    login(client)
    response = decide(client, old, "accept")
    assert response.status_code == 400
    assert "überholt" in response.text and "r2" in response.text
    assert decision_rows(seeded) == [] and versions(seeded, "newco", "intensity") == []
    assert decide(client, newer, "accept").status_code == 303
    assert labels_on(seeded, today(), "newco", "intensity") == ["balanced_dual_use"]


def test_evidence_links_to_the_url_the_snapshot_was_fetched_from(
    client: TestClient, seeded: Seeded
):
    with connect(seeded.db) as con, transaction(con):
        add_snapshot(
            con,
            "snap-http",
            "newco",
            "https://newco.example/profil",  # normalised to https ...
            "Wir entwickeln Sensorik.",
            final_url="http://newco.example/profil",  # ... but only http answered
        )
        sid = add_suggestion(
            con,
            "r1",
            "newco",
            "svi_domains",
            "public_safety_civil_protection",
            0.8,
            1,
            [("https://newco.example/profil", "snap-http", "Wir entwickeln Sensorik.")],
        )
    login(client)
    page = client.get("/clusters/newco").text
    assert 'href="http://newco.example/profil"' in page
    assert 'href="https://newco.example/profil"' not in page
    decide(client, sid, "accept")
    assert versions(seeded, "newco", "svi_domains")[-1][6] == ["http://newco.example/profil"]


def test_accept_appends_a_review_version_effective_from_the_decision_date(
    client: TestClient, seeded: Seeded
):
    login(client)
    suggestion = seeded.sid("cyberforum/intensity/primarily_security")
    assert labels_on(seeded, today(), "cyberforum", "intensity") == ["balanced_dual_use"]
    response = decide(client, suggestion, "accept", comment="Hub-Mitglied")
    assert response.status_code == 303 and response.headers["location"].startswith("/next?")
    rows = versions(seeded, "cyberforum", "intensity")
    assert len(rows) == 2 and rows[0][0] == ["balanced_dual_use"]  # the paper row is untouched
    labels, valid_from, source, source_ref, decided_by, model_version, urls = rows[1]
    (decision,) = decision_rows(seeded)
    assert (labels, valid_from, source, decided_by) == (
        ["primarily_security"],
        today(),
        "review",
        "anna",
    )
    assert source_ref == decision[0] and decision[2:] == (
        "accept",
        ["primarily_security"],
        "anna",
        "Hub-Mitglied",
    )
    assert model_version == "model-r1"
    assert urls == ["https://cyberforum.de/ueber-uns", "javascript:alert(4)"]
    assert labels_on(seeded, today() - dt.timedelta(days=1), "cyberforum", "intensity") == [
        "balanced_dual_use"
    ]
    assert labels_on(seeded, today(), "cyberforum", "intensity") == ["primarily_security"]
    # the whole intensity group is done: neither rank 1 nor its alternative is asked again
    assert "cyberforum" not in re.findall(
        r'href="/clusters/([^?"]+)\?s=s\d+', client.get("/?dimension=intensity").text
    )
    again = decide(client, seeded.sid("cyberforum/intensity/balanced_dual_use"), "accept")
    assert again.status_code == 400 and "bereits entschieden" in again.text
    assert "already decided" not in again.text  # the web app speaks German


def test_override_puts_exactly_the_chosen_label_in_force(client: TestClient, seeded: Seeded):
    login(client, name="ben")
    suggestion = seeded.sid("newco/intensity/civil_base_technology")
    assert labels_on(seeded, today(), "newco", "intensity") is None
    response = decide(client, suggestion, "override", labels=["no_svi_relevance"])
    assert response.status_code == 303
    rows = versions(seeded, "newco", "intensity")
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        (["no_svi_relevance"], today(), "review", "ben")
    ]
    assert labels_on(seeded, today(), "newco", "intensity") == ["no_svi_relevance"]
    assert labels_on(seeded, today() - dt.timedelta(days=1), "newco", "intensity") is None


@pytest.mark.parametrize(
    ("labels", "problem"),
    [
        (["no_such_label"], "Unbekanntes Label"),
        (["primarily_security", "balanced_dual_use"], "genau ein Label"),
        ([], "mindestens ein Label"),
    ],
)
def test_override_with_invalid_labels_is_refused_and_changes_nothing(
    client: TestClient, seeded: Seeded, labels, problem
):
    login(client)
    response = decide(
        client, seeded.sid("newco/intensity/civil_base_technology"), "override", labels
    )
    assert response.status_code == 400 and problem in response.text
    assert decision_rows(seeded) == [] and versions(seeded, "newco", "intensity") == []


def test_reject_keeps_the_current_classification(client: TestClient, seeded: Seeded):
    login(client)
    suggestion = seeded.sid("cyberforum/intensity/primarily_security")
    assert decide(client, suggestion, "reject", comment="kein Rüstungsbezug").status_code == 303
    assert [r[0] for r in versions(seeded, "cyberforum", "intensity")] == [["balanced_dual_use"]]
    assert labels_on(seeded, today(), "cyberforum", "intensity") == ["balanced_dual_use"]
    ((_, sid, action, labels, reviewer, comment),) = decision_rows(seeded)
    assert (sid, action, labels, reviewer, comment) == (
        suggestion,
        "reject",
        [],
        "anna",
        "kein Rüstungsbezug",
    )
    assert f"s={suggestion}" not in client.get("/").text


def test_accepting_thematic_labels_adds_them_to_the_set_in_force(
    client: TestClient, seeded: Seeded
):
    login(client)
    decide(client, seeded.sid("cyberforum/svi_domains/digital_sovereignty"), "accept")
    assert labels_on(seeded, today(), "cyberforum", "svi_domains") == ["digital_sovereignty"]
    queue = client.get("/?dimension=svi_domains").text  # rank 2 (score 0.60) comes up next
    assert f"s={seeded.sid('cyberforum/svi_domains/finance_economic_systems')}" in queue
    decide(client, seeded.sid("cyberforum/svi_domains/finance_economic_systems"), "accept")
    assert labels_on(seeded, today(), "cyberforum", "svi_domains") == [
        "digital_sovereignty",
        "finance_economic_systems",
    ]
    # rank 3 scored 0.10: below queue_min_score, so the dimension leaves the queue
    assert "queue-empty" in client.get("/?dimension=svi_domains").text
    decide(
        client,
        seeded.sid("cyberforum/svi_domains/health_biotech"),
        "override",
        ["digital_sovereignty"],
    )
    assert labels_on(seeded, today(), "cyberforum", "svi_domains") == ["digital_sovereignty"]
    assert len(versions(seeded, "cyberforum", "svi_domains")) == 3


def test_four_eyes_mode_needs_two_different_agreeing_reviewers(seeded: Seeded):
    suggestion = seeded.sid("cyberforum/intensity/primarily_security")
    anna, ben, carla = (client_for(seeded, four_eyes=True) for _ in range(3))
    login(anna, "anna"), login(ben, "ben"), login(carla, "carla")
    assert decide(anna, suggestion, "accept").headers["location"].endswith("msg=pending")
    assert versions(seeded, "cyberforum", "intensity")[1:] == []
    assert f"s={suggestion}" not in anna.get("/").text  # her half is done
    assert f"s={suggestion}" in ben.get("/").text
    again = decide(anna, suggestion, "accept")
    assert again.status_code == 400 and "zweite, andere Person" in again.text
    decide(ben, suggestion, "reject")  # disagrees: still not effective
    assert labels_on(seeded, today(), "cyberforum", "intensity") == ["balanced_dual_use"]
    assert decide(carla, suggestion, "accept").headers["location"].endswith("msg=accept")
    rows = versions(seeded, "cyberforum", "intensity")
    assert [(r[0], r[4]) for r in rows[1:]] == [(["primarily_security"], "anna, carla")]
    assert labels_on(seeded, today(), "cyberforum", "intensity") == ["primarily_security"]
    agreement = carla.get("/agreement").text
    rates = re.findall(
        r"<tr><td>(\w+)</td><td>(\w+)</td><td class=\"num\">(\d+)</td>"
        r"<td class=\"num\">(\d+)</td><td class=\"num\">(\d+) %",
        agreement,
    )
    assert sorted(rates) == [
        ("anna", "ben", "1", "0", "0"),
        ("anna", "carla", "1", "1", "100"),
        ("ben", "carla", "1", "0", "0"),
    ]


def test_crawled_text_and_urls_render_escaped_and_never_as_markup(client: TestClient):
    login(client)
    snapshot = client.get("/snapshots/snap-hostile?passage=Bundeswehr")
    assert snapshot.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snapshot.text
    assert "<script>alert" not in snapshot.text and "<img src=x" not in snapshot.text
    assert "alert('raw')" not in snapshot.text  # the stored raw HTML body is never shown
    assert "Über uns &lt;b&gt;Titel&lt;/b&gt;" in snapshot.text
    assert '<mark id="passage">Bundeswehr</mark>' in snapshot.text
    cluster = client.get("/clusters/cyberforum").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in cluster and "<script>alert" not in cluster
    assert 'href="/snapshots/snap-hostile?passage=' in cluster
    assert 'href="javascript:' not in cluster
    assert 'href="javascript:' not in client.get("/clusters/newco").text


def test_cluster_page_shows_facts_labels_in_force_suggestions_and_timeline(
    client: TestClient, seeded: Seeded
):
    login(client)
    decide(client, seeded.sid("cyberforum/intensity/primarily_security"), "accept")
    page = client.get("/clusters/cyberforum").text
    assert "CyberForum e. V." in page and "<dd>Baden-Württemberg</dd>" in page
    assert 'href="https://cyberforum.de/"' in page
    assert "Primär sicherheitsorientiert" in page  # German labels
    assert "Digitale" in page or "digital" in page.lower()
    history = client.get("/clusters/cyberforum/history").text
    assert history.count('class="source-') == 2 and "Papier" in history and "anna" in history
    assert client.get("/clusters/no-such-cluster").status_code == 404


def test_a_long_queue_is_listed_a_page_at_a_time_with_the_counts_of_the_whole_queue(
    client: TestClient, seeded: Seeded
):
    extra = QUEUE_PAGE_SIZE + 10
    with connect(seeded.db) as con, transaction(con):
        for i in range(extra):
            add_cluster(con, f"extra-{i:03d}", f"Zusatz {i:03d}", ["bayern"], None)
            label = "civil_base_technology"
            add_suggestion(con, "r1", f"extra-{i:03d}", "intensity", label, 0.7, 1)
    login(client)
    items = re.compile(r'class="open-item" href="/clusters/([^?"]+)\?')
    first = client.get("/?bundesland=bayern").text
    total = extra + 1  # newco is in Bayern, too
    assert re.search(rf'id="shown-count">{total}<', first)
    assert len(items.findall(first)) == QUEUE_PAGE_SIZE
    assert f"1–{QUEUE_PAGE_SIZE} von {total}" in first and 'id="queue-previous-page"' not in first
    second_url = re.search(r'id="queue-pager".*?href="([^"]+)" id="queue-next-page"', first, re.S)
    assert second_url.group(1) == "/?bundesland=bayern&amp;p=2"  # the filters are kept
    second = client.get("/?bundesland=bayern&p=2").text
    assert re.search(rf'id="shown-count">{total}<', second)
    assert 'id="queue-next-page"' not in second and 'id="queue-previous-page"' in second
    listed = items.findall(first) + items.findall(second)
    assert len(listed) == len(set(listed)) == total
    # The key `n` opens the first item the shown page lists, not the queue's first (issue 17).
    opens = re.compile(r'data-next-url="/clusters/([^?"]+)\?')
    assert opens.search(second).group(1) == items.findall(second)[0]
    assert opens.search(first).group(1) == items.findall(first)[0] != items.findall(second)[0]
    last = client.get("/?bundesland=bayern&p=99").text  # past the end: the last page
    assert last.count('class="open-item"') == total - QUEUE_PAGE_SIZE
    huge = client.get("/?bundesland=bayern&p=100000000000000000000")  # beyond any integer type
    assert huge.status_code == 200
    assert huge.text.count('class="open-item"') == total - QUEUE_PAGE_SIZE
    assert 'id="queue-pager"' not in client.get("/?dimension=svi_domains").text


@pytest.mark.parametrize("zone", ["Etc/GMT-14", "Etc/GMT+12"])
def test_an_accepted_label_is_in_force_on_the_cluster_page_whatever_the_servers_time_zone(
    client: TestClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch, zone: str
):
    """Decisions take effect from their UTC date; the page must mean the same day by "today".

    At any moment one of UTC+14 and UTC-12 has a local date other than UTC's, so a page that read
    the local date would show the old label in force in one of the two cases.
    """
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        login(client)
        decide(client, seeded.sid("cyberforum/intensity/primarily_security"), "accept")
        page = client.get("/clusters/cyberforum").text
        in_force = re.search(r'data-dimension="intensity">([^<]*)<', page).group(1)
        assert in_force == "Primär sicherheitsorientiert"
    finally:
        monkeypatch.undo()
        time.tzset()
