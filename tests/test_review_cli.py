"""`clusterradar review ...`: the headless equivalents of the web app, through the real CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clusterradar.clock import today
from clusterradar.review import auth
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.history import current_labels
from tests.test_review_seed import Seeded, add_run, add_suggestion, seed_warehouse


@pytest.fixture
def seeded(db_path) -> Seeded:
    return seed_warehouse(db_path)


def labels(seeded: Seeded, cluster_id: str, dimension: str):
    with connect(seeded.db) as con:
        return current_labels(con, cluster_id, dimension, today())


def test_add_user_reads_the_password_from_stdin_and_stores_only_an_argon2_hash(cli, db_path):
    result = cli(
        "--db",
        db_path,
        "review",
        "add-user",
        "dora",
        "--admin",
        "--password-stdin",
        input="a long secret\n",
    )
    assert result.exit_code == 0, result.stderr
    with connect(db_path) as con:
        stored, is_admin = con.execute(
            "SELECT password_hash, is_admin FROM users WHERE name = 'dora'"
        ).fetchone()
        assert stored.startswith("$argon2id$") and "a long secret" not in stored and is_admin
        assert auth.authenticate(con, "dora", "a long secret") is not None
        assert auth.authenticate(con, "dora", "a wrong secret") is None


def test_add_user_prompts_twice_and_refuses_different_passwords(cli, db_path):
    ok = cli("--db", db_path, "review", "add-user", "emil", input="password-1\npassword-1\n")
    assert ok.exit_code == 0 and "added user emil" in ok.stdout
    differ = cli("--db", db_path, "review", "add-user", "fritz", input="password-1\npassword-2\n")
    assert differ.exit_code == 1 and "error: the two passwords differ" in differ.stderr
    again = cli("--db", db_path, "review", "add-user", "emil", input="password-3\npassword-3\n")
    assert again.exit_code == 1 and "exists already" in again.stderr
    short = cli("--db", db_path, "review", "add-user", "gabi", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "too short" in short.stderr


def test_list_json_gives_the_queue_in_web_order_and_filters_by_dimension(cli, seeded: Seeded):
    result = cli("--db", seeded.db, "review", "list", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["pending"] == 5
    assert [(s["cluster_id"], s["reason"]) for s in data["suggestions"]] == [
        ("cyberforum", "differs"),
        ("photonics-bw", "low_confidence"),
        ("newco", "new_cluster"),
        ("cyberforum", "unclassified"),
        ("aviaspace", "confirms"),
    ]
    svi = json.loads(
        cli("--db", seeded.db, "review", "list", "--dimension", "svi_domains", "--json").stdout
    )
    assert [s["label"] for s in svi["suggestions"]] == ["digital_sovereignty"]
    text = cli("--db", seeded.db, "review", "list")
    assert "5 shown of 5 pending" in text.stdout
    assert seeded.sid("cyberforum/intensity/primarily_security") in text.stdout
    bad = cli("--db", seeded.db, "review", "list", "--dimension", "colour")
    assert bad.exit_code == 1 and "unknown dimension" in bad.stderr


def test_show_prints_facts_suggestions_evidence_and_history(cli, seeded: Seeded):
    result = cli("--db", seeded.db, "review", "show", "cyberforum", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["name"] == "CyberForum e. V."
    assert [v["labels"] for v in data["effective"]] == [["balanced_dual_use"]]
    intensity = data["suggestions"]["intensity"]
    assert intensity[0]["candidate"]["label_key"] == "primarily_security"
    assert "<script>alert(1)</script>" in intensity[0]["evidence"][0]["passage"]  # JSON: raw text
    text = cli("--db", seeded.db, "review", "show", "cyberforum")
    assert "Gleichgewichtige Dual-Use-Technologien" in text.stdout and "History:" in text.stdout
    missing = cli("--db", seeded.db, "review", "show", "nowhere")
    assert missing.exit_code == 1 and "error: no cluster 'nowhere'" in missing.stderr


def test_accept_reject_override_via_cli_change_history_like_the_web_app(cli, seeded: Seeded):
    db = seeded.db
    accepted = cli(
        "--db",
        db,
        "review",
        "accept",
        seeded.sid("cyberforum/intensity/primarily_security"),
        "--reviewer",
        "anna",
        "--comment",
        "TechHUB-Mitglied",
    )
    assert accepted.exit_code == 0, accepted.stderr
    assert "accepted" in accepted.stdout and "primarily_security" in accepted.stdout
    assert labels(seeded, "cyberforum", "intensity") == ["primarily_security"]
    rejected = cli(
        "--db",
        db,
        "review",
        "reject",
        seeded.sid("photonics-bw/intensity/primarily_civil_security_relevant"),
        "--reviewer",
        "ben",
    )
    assert rejected.exit_code == 0 and "unchanged" in rejected.stdout
    assert labels(seeded, "photonics-bw", "intensity") == ["primarily_civil_security_relevant"]
    overridden = cli(
        "--db",
        db,
        "review",
        "override",
        seeded.sid("cyberforum/svi_domains/digital_sovereignty"),
        "--label",
        "digital_sovereignty",
        "--label",
        "public_safety_civil_protection",
        "--reviewer",
        "carla",
    )
    assert overridden.exit_code == 0, overridden.stderr
    assert labels(seeded, "cyberforum", "svi_domains") == [
        "digital_sovereignty",
        "public_safety_civil_protection",
    ]
    with connect(db) as con:
        rows = con.execute(
            "SELECT action, reviewer FROM review_decisions ORDER BY decided_at"
        ).fetchall()
    assert rows == [("accept", "anna"), ("reject", "ben"), ("override", "carla")]
    remaining = json.loads(cli("--db", db, "review", "list", "--json").stdout)
    # svi_domains rank 2 now differs from the set in force, so it leads the queue
    assert [(s["cluster_id"], s["label"], s["reason"]) for s in remaining["suggestions"]] == [
        ("cyberforum", "finance_economic_systems", "differs"),
        ("newco", "civil_base_technology", "new_cluster"),
        ("aviaspace", "balanced_dual_use", "confirms"),
    ]


def test_cli_decisions_refuse_unknown_reviewers_labels_and_suggestions(cli, seeded: Seeded):
    sid = seeded.sid("newco/intensity/civil_base_technology")
    cases = [
        (("accept", sid, "--reviewer", "mallory"), "unknown reviewer 'mallory'"),
        (("override", sid, "--label", "tanks", "--reviewer", "anna"), "unknown label 'tanks'"),
        (
            (
                "override",
                sid,
                "--label",
                "primarily_security",
                "--label",
                "balanced_dual_use",
                "--reviewer",
                "anna",
            ),
            "exactly one label",
        ),
        (("accept", "s-none", "--reviewer", "anna"), "no suggestion 's-none'"),
    ]
    for args, message in cases:
        result = cli("--db", seeded.db, "review", *args)
        assert result.exit_code == 1 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    with connect(seeded.db) as con:
        assert con.execute("SELECT count(*) FROM review_decisions").fetchone()[0] == 0


def test_four_eyes_via_cli_and_agreement_report(cli, seeded: Seeded):
    env = {"CLUSTERRADAR_REVIEW_FOUR_EYES": "1"}
    sid = seeded.sid("newco/intensity/civil_base_technology")
    first = cli(
        "--db",
        seeded.db,
        "review",
        "override",
        sid,
        "--label",
        "no_svi_relevance",
        "--reviewer",
        "anna",
        env=env,
    )
    assert first.exit_code == 0 and "second reviewer" in first.stdout
    assert labels(seeded, "newco", "intensity") is None
    pending_for_anna = json.loads(
        cli("--db", seeded.db, "review", "list", "--reviewer", "anna", "--json", env=env).stdout
    )
    assert sid not in [s["suggestion_id"] for s in pending_for_anna["suggestions"]]
    second = cli(
        "--db",
        seeded.db,
        "review",
        "override",
        sid,
        "--label",
        "no_svi_relevance",
        "--reviewer",
        "ben",
        env=env,
    )
    assert second.exit_code == 0 and "overridden" in second.stdout
    assert labels(seeded, "newco", "intensity") == ["no_svi_relevance"]
    report = json.loads(cli("--db", seeded.db, "review", "agreement", "--json").stdout)
    assert report == [
        {"reviewer_a": "anna", "reviewer_b": "ben", "shared": 1, "agreed": 1, "rate": 1.0}
    ]


def test_review_help_lists_every_command(cli):
    result = cli("review", "--help")
    for command in ("serve", "add-user", "list", "show", "accept", "reject", "override"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--quarter", "banana", "not a quarter: 'banana'"),
        ("--quarter", "2026q5", "not a quarter"),
        ("--label", "foo", "unknown label 'foo'"),
        ("--bundesland", "atlantis", "unknown Bundesland 'atlantis'"),
        ("--run", "nosuch", "no classification run 'nosuch'"),
        ("--dimension", "colour", "unknown dimension 'colour'"),
    ],
)
def test_list_refuses_unknown_filter_values_with_one_error_line(
    cli, seeded: Seeded, option, value, message
):
    result = cli("--db", seeded.db, "review", "list", option, value)
    assert result.exit_code == 1, result.stdout
    assert result.stderr.startswith(f"error: {message}") and result.stderr.count("\n") == 1
    assert "shown" not in result.stdout


def test_list_accepts_a_lowercase_quarter_and_registry_land_slugs(cli, seeded: Seeded):
    q3 = json.loads(
        cli("--db", seeded.db, "review", "list", "--quarter", "2026q3", "--json").stdout
    )
    assert q3["shown"] == 5 and {s["quarter"] for s in q3["suggestions"]} == {"2026Q3"}
    q4 = cli("--db", seeded.db, "review", "list", "--quarter", "2026Q4")
    assert q4.exit_code == 0 and "0 shown" in q4.stdout  # a valid quarter without runs
    bremen = json.loads(
        cli("--db", seeded.db, "review", "list", "--bundesland", "bremen", "--json").stdout
    )
    assert [s["cluster_id"] for s in bremen["suggestions"]] == ["aviaspace"]


def test_accepting_a_superseded_suggestion_needs_force(cli, seeded: Seeded):
    old = seeded.sid("photonics-bw/intensity/primarily_civil_security_relevant")
    with connect(seeded.db) as con, transaction(con):
        add_run(con, "r2", quarter="2026Q4", finished_at=dt.datetime(2026, 11, 2, 9))
        add_suggestion(con, "r2", "photonics-bw", "intensity", "balanced_dual_use", 0.7, 1)
    refused = cli("--db", seeded.db, "review", "accept", old, "--reviewer", "anna")
    assert refused.exit_code == 1 and "Traceback" not in refused.stderr
    assert "superseded" in refused.stderr and "newer run r2 (2026Q4" in refused.stderr
    assert "--force" in refused.stderr
    with connect(seeded.db) as con:
        assert con.execute("SELECT count(*) FROM review_decisions").fetchone()[0] == 0
    forced = cli("--db", seeded.db, "review", "accept", old, "--reviewer", "anna", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert labels(seeded, "photonics-bw", "intensity") == ["primarily_civil_security_relevant"]
    # a suggestion of the newest run is never superseded; another cluster is unaffected
    fresh = seeded.sid("aviaspace/intensity/balanced_dual_use")
    assert cli("--db", seeded.db, "review", "accept", fresh, "--reviewer", "ben").exit_code == 0


@pytest.mark.parametrize("port", ["0", "99999"])
def test_serve_refuses_a_port_out_of_range_without_a_traceback(cli, db_path, port):
    result = cli("--db", db_path, "review", "serve", "--port", port)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and "Invalid value for '--port'" in result.stderr
