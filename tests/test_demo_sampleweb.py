"""The demo's generated sample web: a portal the registry parser reads, and the story's changes."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse

from clusterradar.crawler import registry
from clusterradar.demo.sampleweb import PORTAL, SEARCH_FORM, load_initiatives, write_sample_web
from clusterradar.labels import load_labelled_clusters
from clusterradar.urls import normalise_name

BASE = "http://127.0.0.1:8999"


def _response(folder: Path, path: str) -> HtmlResponse:
    body = (folder / path.lstrip("/")).read_bytes().replace(b"{{site:", b"http://127.0.0.1:9/{{")
    return HtmlResponse(url=BASE + "/" + path.lstrip("/"), body=body, encoding="utf-8")


def _hit_pages(folder: Path) -> list[registry.HitListPage]:
    pages = [registry.parse_hit_list(_response(folder, SEARCH_FORM))]
    for path in sorted((folder / SEARCH_FORM.lstrip("/")).parent.glob("*_seite*.html")):
        pages.append(registry.parse_hit_list(_response(folder, str(path.relative_to(folder)))))
    return pages


def test_portal_lists_forty_plus_initiatives_in_the_documented_markup(tmp_path):
    web = write_sample_web(tmp_path, "Q3")
    portal = web.sites[PORTAL]
    home = _response(portal, web.start_path)
    assert any(SEARCH_FORM in url for url in registry.search_form_urls(home))
    pages = _hit_pages(portal)
    names = [name for page in pages for _, name in page.profiles]
    assert len(names) >= 40 and len(names) == len(set(names))
    assert pages[0].reported_total == len(names)
    assert all(not page.failures for page in pages)
    profile = registry.parse_profile(
        _response(portal, "/CLUSTER/Redaktion/DE/Cluster/maritimes-cluster.html")
    )
    assert profile.bundeslaender == [
        "hamburg",
        "bremen",
        "schleswig-holstein",
        "niedersachsen",
        "mecklenburg-vorpommern",
    ]
    assert profile.foerdermassnahmen == ["go-cluster"]


def test_paper_initiatives_carry_names_that_match_the_labelled_clusters():
    paper = {normalise_name(c.name) for c in load_labelled_clusters()}
    marked = [i for i in load_initiatives() if i.paper]
    assert len(marked) >= 5
    assert all(normalise_name(i.name) in paper for i in marked)


def test_q4_rewrite_adds_a_defence_group_and_changes_the_listing(tmp_path):
    initiatives = load_initiatives()
    write_sample_web(tmp_path, "Q3", initiatives)
    q3_names = {n for p in _hit_pages(tmp_path / PORTAL) for _, n in p.profiles}
    transformed = next(i for i in initiatives if i.transforms)
    group_page = tmp_path / transformed.site / "arbeitsgruppen" / "ag-schutz-und-verteidigung.html"
    assert not group_page.exists()
    write_sample_web(tmp_path, "Q4", initiatives)
    q4_names = {n for p in _hit_pages(tmp_path / PORTAL) for _, n in p.profiles}
    assert len(q4_names - q3_names) == 1 and len(q3_names - q4_names) == 1
    assert "Bundeswehr" in group_page.read_text(encoding="utf-8")
    assert "ag-schutz-und-verteidigung.html" in (
        tmp_path / transformed.site / "arbeitsgruppen" / "index.html"
    ).read_text(encoding="utf-8")
    assert sum(i.goes_offline for i in initiatives) == 1


def test_demo_refuses_to_mix_into_an_earlier_demo_without_force(tmp_path, cli):
    (tmp_path / "clusterradar.duckdb").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = cli("demo", "--out", tmp_path, "--no-progress")
    assert result.exit_code == 1
    assert "already holds a demo" in result.stderr and "--force" in result.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_prepare_out_dir_with_force_removes_only_demo_outputs(tmp_path):
    from clusterradar.demo.story import prepare_out_dir

    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "old.html").write_text("x", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    prepare_out_dir(tmp_path, force=True)
    assert not (tmp_path / "reports").exists() and (tmp_path / "notes.txt").exists()


def test_demo_reviewer_has_an_account_so_review_commands_accept_its_name(db_path, cli):
    from clusterradar.demo.story import DEMO_REVIEWER, ensure_demo_reviewer
    from clusterradar.review.auth import authenticate, require_active_user
    from clusterradar.warehouse.db import connect, transaction

    with connect(db_path) as con, transaction(con):
        con.execute(
            "INSERT INTO clusters (cluster_id, name, origin, first_seen, last_seen)"
            " VALUES ('holz', 'Holznetz', 'registry', now(), now())"
        )
        con.execute(
            "INSERT INTO classification_runs (run_id, quarter, started_at, finished_at, status,"
            " model_version, code_version, training_data_hash)"
            " VALUES ('r1', '2026Q3', now(), now(), 'finished', 'm1', 'c1', 'h1')"
        )
        con.execute(
            "INSERT INTO suggestions (suggestion_id, run_id, cluster_id, dimension, label_key,"
            " score, rank, model_version, training_data_hash, created_at)"
            " VALUES ('s1', 'r1', 'holz', 'intensity', 'no_svi_relevance', 0.9, 1, 'm1', 'h1',"
            " now())"
        )
    before = cli("--db", db_path, "review", "reject", "s1", "--reviewer", DEMO_REVIEWER)
    assert before.exit_code == 1 and "unknown reviewer 'demo'" in before.stderr

    assert ensure_demo_reviewer(db_path) is True
    assert ensure_demo_reviewer(db_path) is False  # a second call keeps the account
    with connect(db_path, read_only=True) as con:
        user = require_active_user(con, DEMO_REVIEWER)
        # Its password is random: no guessable login into the web app.
        assert authenticate(con, DEMO_REVIEWER, DEMO_REVIEWER) is None
    assert user.name == "demo" and not user.is_admin
    after = cli("--db", db_path, "review", "reject", "s1", "--reviewer", DEMO_REVIEWER)
    assert after.exit_code == 0, after.output
