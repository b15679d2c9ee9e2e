"""The read API (/api/v1) through the real review app under uvicorn on loopback, on a real
DuckDB file, with tokens made by the real CLI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from clusterradar.quarterly.diff import diff_quarters
from clusterradar.quarters import Quarter
from clusterradar.review.app import create_app
from clusterradar.review.decisions import record_decision
from clusterradar.warehouse import connect, transaction
from clusterradar.warehouse.history import record_version
from tests.conftest import serving
from tests.test_review_seed import (
    HOSTILE,
    Seeded,
    add_run,
    add_suggestion,
    seed_warehouse,
    settings_for,
)

ENDPOINTS = {
    "/api/v1/clusters",
    "/api/v1/clusters/{cluster_id}",
    "/api/v1/classifications",
    "/api/v1/clusters/{cluster_id}/classification",
    "/api/v1/clusters/{cluster_id}/history",
    "/api/v1/quarters/{quarter}/suggestions",
    "/api/v1/diff",
}


@dataclass(slots=True)
class Api:
    seeded: Seeded
    http: httpx.Client
    token: str

    def get(self, path: str, token: str | None = None, **params) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.http.get(path, params=params, headers=headers)


def create_token(cli, db, user: str = "anna") -> tuple[str, str]:
    result = cli("--db", db, "api-token", "create", "--user", user, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    return data["token"], data["token_id"]


@pytest.fixture
def api(cli, db_path) -> Iterator[Api]:
    """The review seed (run r1 of 2026Q3, one accepted suggestion), a 2026Q2 run, a review
    version of cyberforum from 2026-07-01, and anna's token; the app served on loopback."""
    seeded = seed_warehouse(db_path)
    record_decision(
        db_path,
        suggestion_id=seeded.sid("cyberforum/intensity/primarily_security"),
        action="accept",
        reviewer="anna",
    )
    with connect(db_path) as con, transaction(con):
        record_version(
            con,
            cluster_id="photonics-bw",
            dimension="intensity",
            labels=["primarily_security"],
            valid_from=dt.date(2026, 7, 1),
            source="review",
            decided_by="ben",
        )
        add_run(con, "r-q2", quarter="2026Q2", finished_at=dt.datetime(2026, 7, 1, 9))
        add_suggestion(con, "r-q2", "cyberforum", "intensity", "balanced_dual_use", 0.6, 1)
    token, _ = create_token(cli, db_path)
    with serving(create_app(settings_for(db_path))) as base, httpx.Client(base_url=base) as http:
        yield Api(seeded, http, token)


def assert_json_error(response: httpx.Response, status: int, text: str = "") -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["status"] == status and text in error["message"]
    return error


def test_every_endpoint_answers_401_in_json_without_a_token_or_with_a_wrong_one(api: Api):
    requests = [
        ("/api/v1/clusters", {}),
        ("/api/v1/clusters/cyberforum/history", {}),
        ("/api/v1/quarters/2026Q3/suggestions", {"status": "maybe"}),  # 401 before 400
        ("/api/v1/diff", {"from": "2026Q2", "to": "2026Q3"}),
    ]
    for path, params in requests:
        bare = api.http.get(path, params=params)
        assert_json_error(bare, 401, "API token")
        assert bare.headers["www-authenticate"] == "Bearer"
        assert_json_error(api.get(path, token="cr_" + "x" * 43, **params), 401)
        assert_json_error(api.get(path, token=api.token + "x", **params), 401)
        basic = {"Authorization": "Basic YW5uYTpwdw=="}
        assert_json_error(api.http.get(path, params=params, headers=basic), 401)
    assert api.get("/api/v1/clusters").status_code == 200


def test_a_revoked_token_is_refused_while_the_other_tokens_keep_working(api: Api, cli):
    second, second_id = create_token(cli, api.seeded.db, "ben")
    assert api.get("/api/v1/clusters", token=second).status_code == 200
    revoked = cli("--db", api.seeded.db, "api-token", "revoke", second_id)
    assert revoked.exit_code == 0 and f"revoked token {second_id} of ben" in revoked.stdout
    assert_json_error(api.get("/api/v1/clusters", token=second), 401)
    assert api.get("/api/v1/clusters").status_code == 200
    listed = cli("--db", api.seeded.db, "api-token", "list", "--json")
    rows = {row["token_id"]: row for row in json.loads(listed.stdout)}
    assert rows[second_id]["revoked_at"] and rows[second_id]["user"] == "ben"
    assert api.token not in listed.stdout and second not in listed.stdout
    again = cli("--db", api.seeded.db, "api-token", "revoke", second_id)
    assert again.exit_code == 1 and "revoked already" in again.stderr


def test_a_token_stops_working_while_its_account_is_disabled(api: Api):
    with connect(api.seeded.db) as con, transaction(con):
        con.execute("UPDATE users SET disabled = true WHERE name = 'anna'")
    assert_json_error(api.get("/api/v1/clusters"), 401)
    with connect(api.seeded.db) as con, transaction(con):
        con.execute("UPDATE users SET disabled = false WHERE name = 'anna'")
    assert api.get("/api/v1/clusters").status_code == 200


def test_tokens_are_stored_as_sha256_only(api: Api):
    with connect(api.seeded.db) as con:
        stored = con.execute("SELECT token_hash FROM api_tokens").fetchall()
    assert len(stored) == 1 and stored[0][0] != api.token and len(stored[0][0]) == 64
    with open(api.seeded.db, "rb") as handle:
        assert api.token.encode() not in handle.read()


def test_a_token_of_an_unknown_user_is_refused_and_nothing_is_written(cli, db_path):
    seed_warehouse(db_path)
    result = cli("--db", db_path, "api-token", "create", "--user", "mallory")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: no user 'mallory'; create the account first with 'clusterradar review add-user'"
    )
    assert "no API tokens" in cli("--db", db_path, "api-token", "list").stdout


def test_the_openapi_schema_lists_every_endpoint_with_bearer_auth(api: Api):
    schema = api.http.get("/api/v1/openapi.json").json()
    assert set(schema["paths"]) == ENDPOINTS
    assert all(set(methods) == {"get"} for methods in schema["paths"].values())
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    params = {p["name"] for p in schema["paths"]["/api/v1/diff"]["get"]["parameters"]}
    assert params == {"from", "to"}
    assert not any(path.startswith("/clusters") for path in schema["paths"])  # no HTML pages


def test_clusters_come_in_pages_whose_size_is_capped(api: Api):
    first = api.get("/api/v1/clusters", limit=3).json()
    assert first["total"] == 4 and first["next_offset"] == 3
    assert [c["cluster_id"] for c in first["items"]] == ["aviaspace", "cyberforum", "newco"]
    rest = api.get("/api/v1/clusters", limit=3, offset=3).json()
    assert [c["cluster_id"] for c in rest["items"]] == ["photonics-bw"]
    assert rest["next_offset"] is None
    assert_json_error(api.get("/api/v1/clusters", limit=501), 422, "invalid request")
    assert_json_error(api.get("/api/v1/clusters", limit=0), 422)
    assert_json_error(api.get("/api/v1/clusters", offset=-1), 422)
    one = api.get("/api/v1/clusters/cyberforum").json()
    assert one["name"] == "CyberForum e. V." and one["bundeslaender"] == ["baden-wuerttemberg"]


def test_the_effective_classification_is_the_one_in_force_on_the_date(api: Api):
    def intensity(as_of: str) -> list[str]:
        body = api.get("/api/v1/clusters/photonics-bw/classification", as_of=as_of).json()
        [found] = [d for d in body["dimensions"] if d["dimension"] == "intensity"]
        return found["labels"]

    assert intensity("2026-06-30") == ["primarily_civil_security_relevant"]
    assert intensity("2026-07-01") == ["primarily_security"]
    everyone = api.get("/api/v1/classifications", as_of="2026-06-30", dimension="intensity")
    body = everyone.json()
    assert body["as_of"] == "2026-06-30" and body["total"] == 3
    by_cluster = {item["cluster_id"]: item for item in body["items"]}
    assert by_cluster["photonics-bw"]["valid_to"] == "2026-07-01"
    assert by_cluster["aviaspace"]["labels_de"] == ["Gleichgewichtige Dual-Use-Technologien"]
    before = api.get("/api/v1/classifications", as_of="2025-12-31").json()
    assert before["total"] == 0 and before["items"] == []


def test_a_clusters_history_lists_every_version_with_its_validity(api: Api):
    body = api.get("/api/v1/clusters/photonics-bw/history").json()
    versions = [(v["labels"], v["valid_from"], v["valid_to"]) for v in body["versions"]]
    assert versions == [
        (["primarily_civil_security_relevant"], "2026-01-01", "2026-07-01"),
        (["primarily_security"], "2026-07-01", None),
    ]
    assert_json_error(api.get("/api/v1/clusters/nobody/history"), 404, "no cluster")


def test_a_quarters_suggestions_carry_status_and_evidence_as_data_never_html(api: Api):
    response = api.get("/api/v1/quarters/2026Q3/suggestions", cluster_id="cyberforum")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in response.text and "\\u003cscript\\u003e" in response.text
    body = response.json()
    assert body["quarter"] == "2026Q3" and body["total"] == 2
    intensity = next(i for i in body["items"] if i["dimension"] == "intensity")
    assert intensity["label_key"] == "primarily_security" and intensity["score"] == 0.82
    assert intensity["decision_status"] == "accepted" and intensity["decided_by"] == "anna"
    assert [e["passage"] for e in intensity["evidence"]] == [
        HOSTILE,
        "Verteidigung und Cyberabwehr",
    ]
    assert intensity["evidence"][0]["snapshot_id"] == "snap-hostile"
    undecided = api.get("/api/v1/quarters/2026Q3/suggestions", status="undecided").json()
    assert undecided["total"] == 4
    assert {i["decision_status"] for i in undecided["items"]} == {"undecided"}
    assert api.get("/api/v1/quarters/2025Q1/suggestions").json()["total"] == 0


def test_the_quarter_diff_is_the_diff_of_the_quarterly_stage(api: Api):
    body = api.get("/api/v1/diff", **{"from": "2026Q2", "to": "2026q3"}).json()
    with connect(api.seeded.db) as con:
        expected = diff_quarters(con, Quarter(2026, 2), Quarter(2026, 3)).as_dict()
    assert body == json.loads(json.dumps(expected, default=str))
    changed = [(c["cluster_id"], c["kind"]) for c in body["classification_changes"]]
    assert changed == [("photonics-bw", "changed")]
    cyber = next(c for c in body["suggestion_changes"] if c["cluster_id"] == "cyberforum")
    assert (cyber["before"], cyber["after"]) == ("balanced_dual_use", "primarily_security")


BAD_REQUESTS = [
    ("/api/v1/classifications", {"as_of": "2026-13-01"}, 400, "as_of: expected a date"),
    ("/api/v1/classifications", {"as_of": "2999-01-01"}, 400, "in the future"),
    ("/api/v1/classifications", {"dimension": "colour"}, 400, "dimension: expected one"),
    ("/api/v1/classifications", {"cluster_id": "nobody"}, 404, "no cluster"),
    ("/api/v1/quarters/banana/suggestions", {}, 400, "quarter: not a quarter"),
    ("/api/v1/quarters/2026Q3/suggestions", {"status": "maybe"}, 400, "status: expected"),
    ("/api/v1/diff", {"from": "2026Q3", "to": "2026Q2"}, 400, "after to"),
    ("/api/v1/diff", {"from": "2026Q3"}, 422, "invalid request"),
    ("/api/v1/clusters/" + "x" * 300, {}, 404, "no cluster"),
    ("/api/v1/nothing-here", {}, 404, "no API endpoint"),
]


def test_bad_input_is_a_json_error_never_an_html_page(api: Api):
    for path, params, status, text in BAD_REQUESTS:
        assert_json_error(api.get(path, **params), status, text)


def test_the_api_is_read_only(api: Api):
    response = api.http.post(
        "/api/v1/clusters", headers={"Authorization": f"Bearer {api.token}"}, json={}
    )
    assert_json_error(response, 405, "read-only")
