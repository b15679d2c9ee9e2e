"""A retried decision POST (double click, reload after a lost answer) decides once.

Every decision form carries its own random request key; the first POST with a key stores it
beside the decision, a repeat gets the first answer again and writes nothing.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from clusterradar.review.app import create_app
from clusterradar.warehouse.db import connect
from tests.test_review_seed import seed_warehouse, settings_for
from tests.test_review_web import login

FORM = re.compile(
    r'action="/suggestions/([^/"]+)/decide" class="decide-form">\s*'
    r'<input type="hidden" name="csrf_token" value="([^"]+)">\s*'
    r'<input type="hidden" name="request_key" value="([^"]+)">'
)


def _forms(client: TestClient, cluster_id: str) -> dict[str, tuple[str, str]]:
    """suggestion id -> (csrf token, request key) of each accept/reject form on the page."""
    page = client.get(f"/clusters/{cluster_id}")
    assert page.status_code == 200
    return {sid: (token, key) for sid, token, key in FORM.findall(page.text)}


def _post(client: TestClient, suggestion_id: str, token: str, key: str, action: str = "accept"):
    return client.post(
        f"/suggestions/{suggestion_id}/decide",
        data={"action": action, "csrf_token": token, "request_key": key, "then": "cluster"},
    )


def _stored(db) -> list[tuple]:
    with connect(db) as con:
        return con.execute(
            "SELECT d.suggestion_id, d.reviewer, d.action, "
            "(SELECT count(*) FROM review_requests q WHERE q.decision_id = d.decision_id) "
            "FROM review_decisions d ORDER BY d.decided_at"
        ).fetchall()


def _client(db, **review) -> TestClient:
    return TestClient(create_app(settings_for(db, **review)), follow_redirects=False)


def test_every_decision_form_on_a_page_carries_its_own_request_key(db_path):
    seed_warehouse(db_path)
    client = _client(db_path)
    login(client)
    first, again = _forms(client, "cyberforum"), _forms(client, "cyberforum")
    keys = [key for _, key in first.values()] + [key for _, key in again.values()]
    assert len(first) >= 2
    assert len(set(keys)) == len(keys)


def test_a_retried_decision_is_answered_saved_again_and_stored_once(db_path):
    seed_warehouse(db_path)
    client = _client(db_path)
    login(client)
    suggestion_id, (token, key) = next(iter(_forms(client, "cyberforum").items()))
    answers = [_post(client, suggestion_id, token, key) for _ in range(3)]
    assert [a.status_code for a in answers] == [303, 303, 303]
    assert len({a.headers["location"] for a in answers}) == 1
    assert "msg=accept" in answers[0].headers["location"]
    assert _stored(db_path) == [(suggestion_id, "anna", "accept", 1)]


def test_a_retried_four_eyes_decision_stays_pending_instead_of_failing(db_path):
    seed_warehouse(db_path)
    client = _client(db_path, four_eyes=True)
    login(client)
    suggestion_id, (token, key) = next(iter(_forms(client, "cyberforum").items()))
    answers = [_post(client, suggestion_id, token, key) for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303]
    assert all("msg=pending" in a.headers["location"] for a in answers)
    assert _stored(db_path) == [(suggestion_id, "anna", "accept", 1)]


def test_a_request_key_used_for_another_suggestion_is_refused_and_writes_nothing(db_path):
    seed_warehouse(db_path)
    client = _client(db_path)
    login(client)
    forms = _forms(client, "cyberforum")
    (first, (token, key)), (second, _) = list(forms.items())[:2]
    assert _post(client, first, token, key, "reject").status_code == 303
    refused = _post(client, second, token, key, "reject")
    assert refused.status_code == 400
    assert "schon für eine andere Entscheidung" in refused.text
    assert _stored(db_path) == [(first, "anna", "reject", 1)]


def test_a_malformed_request_key_is_refused_and_writes_nothing(db_path):
    seed_warehouse(db_path)
    client = _client(db_path)
    login(client)
    suggestion_id, (token, _) = next(iter(_forms(client, "cyberforum").items()))
    assert _post(client, suggestion_id, token, "short").status_code == 400
    assert _stored(db_path) == []
