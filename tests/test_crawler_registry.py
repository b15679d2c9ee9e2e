"""Registry crawls and manual initiatives through the CLI, asserting on the warehouse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clusterradar.crawler.localweb import LocalWeb
from clusterradar.warehouse import connect

WEB = Path(__file__).parent / "fixtures" / "web"
FAST = {"CLUSTERRADAR_CRAWL_AUTOTHROTTLE": "false"}
PAGE2 = "SiteGlobals/CLUSTER/Forms/Suche/Clustersuche/Clustersuche_Formular_seite2.html"


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect(db, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def add_paper_cluster(
    db: Path, cluster_id: str, name: str, website: str | None, laender: list[str]
) -> None:
    with connect(db) as con:
        con.execute(
            "INSERT INTO clusters (cluster_id, name, website, bundeslaender, origin, first_seen, "
            "last_seen) "
            "VALUES (?, ?, ?, ?, 'paper', TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01')",
            [cluster_id, name, website, laender],
        )


@pytest.mark.slow
def test_registry_crawl_upserts_matches_paper_clusters_and_marks_missing_ones(
    db_path, cli, tmp_path
):
    portal = tmp_path / "portal"
    shutil.copytree(WEB / "portal", portal)
    # Matched by website (www- and scheme-insensitive) and by normalised name.
    add_paper_cluster(
        db_path, "aerospace-paper", "Aerospace Hub", "aerospace-hub.example", ["bayern"]
    )
    add_paper_cluster(db_path, "photonik-paper", "Photonik-Netzwerk Thüringen e.V.", None, [])
    add_paper_cluster(
        db_path, "only-in-paper", "Rüstungscluster Nirgendwo", "https://nirgendwo.example/", []
    )
    with LocalWeb({"portal": portal}) as web:
        start = web.url("portal") + "/"
        first = cli(
            "--db",
            db_path,
            "crawl",
            "registry",
            "--start-url",
            start,
            "--allow-private",
            "--no-progress",
            env=FAST,
        )
        assert first.exit_code == 0, first.output
        assert "initiatives parsed" in first.stdout
        clusters = {
            r[0]: r[1:]
            for r in rows(
                db_path,
                "SELECT cluster_id, origin, name, website, registry_profile_url, "
                "technologiefelder, foerdermassnahmen, missing_since FROM clusters",
            )
        }
        assert (
            len(clusters) == 8
        )  # 7 registry entries, 2 of them matched to paper rows, + 1 paper-only
        aero = clusters["aerospace-paper"]
        assert (
            aero[0] == "paper" and aero[1] == "Aerospace Hub" and aero[2] == "aerospace-hub.example"
        )
        # Stored as fetched: the portal's http scheme kept, jsessionid stripped.
        assert aero[3] == start + "CLUSTER/Redaktion/DE/Cluster/aerospace-hub-bayern.html"
        assert aero[4] == ["Luft- und Raumfahrt", "Sicherheit"] and aero[5] == ["go-cluster"]
        assert (
            clusters["photonik-paper"][2] == "https://photonik-thueringen.example/"
        )  # filled, was NULL
        assert clusters["only-in-paper"][3] is None
        assert clusters["sicherheitscluster-berlin-brandenburg"][0] == "registry"
        assert not any(c[-1] for c in clusters.values())
        (stats,) = rows(db_path, "SELECT stats FROM crawl_runs WHERE kind = 'registry'")[0]
        stats = json.loads(stats)
        assert stats["entries"] == 7 and stats["reported_total"] == 7 and stats["complete"]
        assert stats["new"] == 5 and stats["matched_paper"] == 2

        # The portal drops one initiative: a later complete crawl marks it missing, deletes nothing.
        page2 = portal / PAGE2
        text = page2.read_text(encoding="utf-8")
        start_li = text.index('<li class="result-list__item">')
        end_li = text.index("</li>", start_li) + len("</li>")
        assert "medizintechnik" in text[start_li:end_li]
        page2.write_text((text[:start_li] + text[end_li:]).replace("7 Treffer", "6 Treffer"))
        page1 = portal / PAGE2.replace("_seite2", "")
        page1.write_text(page1.read_text(encoding="utf-8").replace("7 Treffer", "6 Treffer"))
        second = cli(
            "--db",
            db_path,
            "crawl",
            "registry",
            "--start-url",
            start,
            "--allow-private",
            "--no-progress",
            env=FAST,
        )
        assert second.exit_code == 0, second.output
    missing = rows(db_path, "SELECT cluster_id FROM clusters WHERE missing_since IS NOT NULL")
    assert missing == [("medizintechnik-cluster-sachsen-anhalt",)]
    assert rows(db_path, "SELECT count(*) FROM clusters") == [(8,)]
    sightings = rows(
        db_path, "SELECT crawl_run_id, count(*) FROM cluster_sightings GROUP BY ALL ORDER BY 2 DESC"
    )
    assert [count for _, count in sightings] == [7, 6]


@pytest.mark.slow
def test_registry_crawl_with_fewer_entries_than_reported_marks_nothing_missing(
    db_path, cli, tmp_path
):
    portal = tmp_path / "portal"
    shutil.copytree(WEB / "portal", portal)
    with LocalWeb({"portal": portal}) as web:
        start = web.url("portal") + "/"
        assert (
            cli(
                "--db",
                db_path,
                "crawl",
                "registry",
                "--start-url",
                start,
                "--allow-private",
                "--no-progress",
                env=FAST,
            ).exit_code
            == 0
        )
        (portal / PAGE2).unlink()  # page 2 now answers 404: 4 of "7 Treffer"
        second = cli(
            "--db",
            db_path,
            "crawl",
            "registry",
            "--start-url",
            start,
            "--allow-private",
            "--no-progress",
            env=FAST,
        )
    assert second.exit_code == 0
    assert (
        "list page not fetched" in second.stdout and "nothing was marked missing" in second.stdout
    )
    assert rows(db_path, "SELECT count(*) FROM clusters WHERE missing_since IS NOT NULL") == [(0,)]


@pytest.mark.slow
def test_registry_crawl_that_parses_nothing_fails_loudly(db_path, cli):
    with LocalWeb({"site": WEB / "jsonly"}) as web:
        result = cli(
            "--db",
            db_path,
            "crawl",
            "registry",
            "--start-url",
            web.url("site") + "/",
            "--allow-private",
            "--no-progress",
            env=FAST,
        )
    assert result.exit_code == 1
    assert "found no initiatives" in result.stderr and "search form" in result.stderr
    assert "layout may have changed" in result.stderr  # a page came back, none parsed
    assert rows(db_path, "SELECT status FROM crawl_runs") == [("failed",)]


def test_clusters_add_validates_and_lists_with_last_outcome(db_path, cli):
    added = cli(
        "--db",
        db_path,
        "clusters",
        "add",
        "--name",
        "Drohnen-Netzwerk Nord",
        "--website",
        "https://drohnen-nord.example/",
        "--land",
        "Hamburg",
        "--land",
        "schleswig-holstein",
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "drohnen-netzwerk-nord"
    bad_land = cli(
        "--db",
        db_path,
        "clusters",
        "add",
        "--name",
        "X",
        "--website",
        "https://x.example/",
        "--land",
        "atlantis",
    )
    assert bad_land.exit_code != 0 and "unknown Bundesland" in bad_land.stderr
    bad_url = cli("--db", db_path, "clusters", "add", "--name", "Y", "--website", "not a url")
    assert bad_url.exit_code != 0 and "not an http(s) URL" in bad_url.stderr
    duplicate = cli(
        "--db",
        db_path,
        "clusters",
        "add",
        "--name",
        "Anders",
        "--website",
        "http://www.drohnen-nord.example",
    )
    assert duplicate.exit_code != 0 and "drohnen-netzwerk-nord" in duplicate.stderr
    listed = cli("--db", db_path, "clusters", "list", "--json")
    assert listed.exit_code == 0
    (row,) = json.loads(listed.stdout)
    assert row["cluster_id"] == "drohnen-netzwerk-nord" and row["origin"] == "manual"
    assert row["bundeslaender"] == ["hamburg", "schleswig-holstein"] and row["last_outcome"] is None
    table = cli("--db", db_path, "clusters", "list")
    assert "never" in table.stdout


def test_crawl_sites_with_an_unknown_cluster_id_is_a_one_line_error(db_path, cli):
    result = cli("--db", db_path, "crawl", "sites", "--cluster", "gibt-es-nicht", "--no-progress")
    assert result.exit_code != 0
    assert result.stderr.startswith("error: unknown cluster id(s): gibt-es-nicht")


def test_crawl_sites_without_any_initiative_says_what_to_do(db_path, cli):
    result = cli("--db", db_path, "crawl", "sites", "--no-progress")
    assert result.exit_code != 0 and "no initiatives in the warehouse" in result.stderr
    assert rows(db_path, "SELECT count(*) FROM crawl_runs") == [(0,)]


@pytest.mark.parametrize(
    "start_url", ["not a url", "ftp://portal.example/", "https:///no-host", "http://x:99999/"]
)
def test_a_bad_registry_start_url_is_a_one_line_error_before_any_run(db_path, cli, start_url):
    result = cli("--db", db_path, "crawl", "registry", "--start-url", start_url, "--no-progress")
    assert result.exit_code == 1, result.output  # not 130: nothing was interrupted
    assert result.stderr.startswith("error: --start-url") and result.stderr.count("\n") == 1
    assert "interrupted" not in result.stderr
    assert rows(db_path, "SELECT count(*) FROM crawl_runs") == [(0,)]


def test_an_unreachable_registry_fails_without_blaming_the_layout(db_path, cli):
    with LocalWeb({"portal": WEB / "portal"}) as web:
        start = web.url("portal") + "/"
        web.set_offline("portal", True)
        result = cli(
            "--db", db_path, "crawl", "registry", "--start-url", start, "--allow-private",
            "--no-progress", env=FAST | {"CLUSTERRADAR_CRAWL_RETRY_TIMES": "0"},
        )  # fmt: skip
    assert result.exit_code == 1
    assert "fetched no page" in result.stderr and "connection refused" in result.stderr
    assert "layout" not in result.stderr and "interrupted" not in result.stderr
    assert rows(db_path, "SELECT status FROM crawl_runs") == [("failed",)]


def test_a_crawl_that_fails_inside_scrapy_is_failed_not_interrupted(db_path, monkeypatch):
    from clusterradar.crawler import runner
    from clusterradar.errors import CrawlError
    from clusterradar.settings import Settings

    # Get past our own URL check, so Scrapy itself fails (finish reason 'start_error').
    monkeypatch.setattr(runner, "check_start_url", lambda url: url)
    with pytest.raises(CrawlError, match="start_error") as raised:
        runner.crawl_registry(Settings(db=db_path), start_url="not a url", progress=False)
    assert "\n" not in str(raised.value)
    ((status, stats),) = rows(db_path, "SELECT status, stats FROM crawl_runs")
    assert status == "failed" and "start_error" in json.loads(stats)["failure"]


@pytest.mark.parametrize(
    "args",
    [
        ["crawl", "sites", "--quarter", "2026Q7"],
        ["crawl", "registry", "--quarter", "bogus", "--start-url", "http://127.0.0.1:1/"],
    ],
)
def test_an_invalid_quarter_is_a_one_line_error_before_any_run(db_path, cli, args):
    result = cli("--db", db_path, *args, "--no-progress")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert rows(db_path, "SELECT count(*) FROM crawl_runs") == [(0,)]


def test_multiple_values_may_be_repeated_or_comma_separated(db_path, cli):
    clusters = cli("--db", db_path, "crawl", "sites", "-c", "x,y", "-c", "z", "--no-progress")
    assert clusters.stderr.startswith("error: unknown cluster id(s): x, y, z")
    added = cli(
        "--db", db_path, "clusters", "add", "--name", "Nord", "--website", "https://nord.example/",
        "--land", "hamburg,bremen", "--land", "Hessen",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert rows(db_path, "SELECT bundeslaender FROM clusters") == [
        (["hamburg", "bremen", "hessen"],)
    ]
