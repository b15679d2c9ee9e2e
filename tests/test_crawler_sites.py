"""Site crawls through the real Scrapy engine (child process) against the offline web.

One crawl over every hostile site is shared by the tests of this module; each test asserts on
what landed in the warehouse.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from clusterradar.crawler.localweb import LocalWeb
from clusterradar.crawler.runner import crawl_sites
from clusterradar.crawler.site import decode_body
from clusterradar.errors import CrawlError
from clusterradar.settings import Settings
from clusterradar.warehouse import connect, migrate

pytestmark = pytest.mark.slow

WEB = Path(__file__).parent / "fixtures" / "web"
HOSTILE = ["good", "moved", "loop", "error", "slow", "jsonly", "offsite", "robots", "offline"]


def fast_settings(db: Path) -> Settings:
    settings = Settings(db=db)
    settings.crawl.download_timeout = 1.0
    settings.crawl.retry_times = 1
    settings.crawl.autothrottle = False
    settings.crawl.download_maxsize = 1024 * 1024
    return settings


def add_cluster(db: Path, cluster_id: str, website: str | None) -> None:
    with connect(db) as con:
        con.execute(
            "INSERT INTO clusters (cluster_id, name, website, origin, first_seen, last_seen) "
            "VALUES (?, ?, ?, 'manual', now(), now())",
            [cluster_id, cluster_id, website],
        )


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect(db, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The hostile web crawled once, then recrawled unchanged."""
    tmp = tmp_path_factory.mktemp("sites")
    db = tmp / "warehouse.duckdb"
    migrate(db)
    sites = {name: WEB / name for name in HOSTILE if name != "offline"} | {
        "offline": WEB / "jsonly"
    }
    with LocalWeb(sites) as web:
        web.set_offline("offline", True)
        for name in HOSTILE:
            add_cluster(db, name, web.url(name) + "/")
        add_cluster(db, "dns", "http://no-such-host.invalid/")
        add_cluster(db, "nosite", None)
        add_cluster(db, "badurl", "https://exa:mple/")
        settings = fast_settings(db)
        first = crawl_sites(settings, allow_private=True, progress=False)
        second = crawl_sites(settings, cluster_ids=["good"], allow_private=True, progress=False)
        yield {"db": db, "web": web, "first": first, "second": second, "good": web.url("good")}


def outcomes(db: Path, run_id: str) -> dict[str, tuple[str, int, str | None]]:
    found = rows(
        db,
        "SELECT cluster_id, outcome, pages, detail FROM site_outcomes WHERE crawl_run_id = ?",
        [run_id],
    )
    return {r[0]: (r[1], r[2], r[3]) for r in found}


def good_snapshots(crawled, run_id: str) -> dict[str, tuple]:
    found = rows(
        crawled["db"],
        "SELECT url, http_status, content_type, page_kind, note, content_hash, unchanged_of, "
        "snapshot_id "
        "FROM page_snapshots WHERE crawl_run_id = ? AND cluster_id = 'good'",
        [run_id],
    )
    base = crawled["good"]
    return {r[0].removeprefix(base): r[1:] for r in found}


def test_every_site_ends_with_the_outcome_its_hostility_deserves(crawled):
    found = outcomes(crawled["db"], crawled["first"].crawl_run_id)
    assert {k: v[0] for k, v in found.items()} == {
        "good": "ok",
        "moved": "ok",
        "loop": "http_error",
        "error": "http_error",
        "slow": "timeout",
        "jsonly": "empty",
        "offsite": "offsite_redirect",
        "robots": "robots_denied",
        "offline": "http_error",
        "dns": "dns_error",
        "nosite": "no_website",
        "badurl": "no_website",
    }
    assert "redirect loop" in found["loop"][2]
    assert found["error"][2] == "HTTP 500"
    assert found["offline"][2] == "connection refused"
    assert found["offsite"][2] == f"redirects to {crawled['good']}/"
    assert found["robots"][1] == 0  # denied pages are never fetched
    run = rows(
        crawled["db"],
        "SELECT status FROM crawl_runs WHERE crawl_run_id = ?",
        [crawled["first"].crawl_run_id],
    )
    assert run == [("finished",)]


def test_a_redirect_within_the_site_is_followed_and_recorded(crawled):
    found = rows(
        crawled["db"],
        "SELECT http_status, note, page_kind FROM page_snapshots WHERE cluster_id = 'moved' "
        "ORDER BY fetched_at",
    )
    assert found[0][0] == 301 and found[0][1].startswith("redirect to ")
    assert found[0][1].endswith("/start/")
    assert (200, None, "topics") in found and len(found) == 3


def test_describing_pages_are_fetched_and_classified(crawled):
    pages = good_snapshots(crawled, crawled["first"].crawl_run_id)
    kinds = {url: v[2] for url, v in pages.items()}
    assert kinds["/"] == "home"
    assert kinds["/ueber-uns/"] == "about"
    assert kinds["/themen/"] == "topics"
    assert kinds["/arbeitsgruppen/"] == "groups"
    assert kinds["/projekte/"] == "projects"
    assert kinds["/mitglieder/"] == "members"
    assert kinds["/aktuelles/"] == "news"
    assert "/nur-in-sitemap.html" in pages  # found through sitemap.xml only


def test_calendars_logins_search_binaries_robots_paths_and_other_sites_are_not_fetched(crawled):
    urls = rows(
        crawled["db"],
        "SELECT url FROM page_snapshots WHERE crawl_run_id = ?",
        [crawled["first"].crawl_run_id],
    )
    joined = " ".join(u for (u,) in urls)
    for forbidden in (
        "/kalender/",
        "/login/",
        "/suche",
        "jahresbericht.pdf",
        "/intern/",
        "utm_source",
    ):
        assert forbidden not in joined
    jsonly = crawled["web"].url("jsonly")
    good_urls = [
        u
        for (u,) in rows(crawled["db"], "SELECT url FROM page_snapshots WHERE cluster_id = 'good'")
    ]
    assert not any(u.startswith(jsonly) for u in good_urls)  # a link to another cluster's site


def test_stored_urls_are_the_ones_fetched_scheme_included(crawled):
    urls = [
        u
        for (u,) in rows(crawled["db"], "SELECT url FROM page_snapshots WHERE cluster_id = 'good'")
    ]
    assert urls and all(u.startswith(crawled["good"] + "/") for u in urls)  # http, as served
    assert not any("https://" in u or ";jsessionid" in u for u in urls)


def test_mistyped_binary_is_recorded_without_a_body(crawled):
    status, content_type, _, note, content_hash, _, _ = good_snapshots(
        crawled, crawled["first"].crawl_run_id
    )["/bericht.html"]
    assert status == 200 and content_type == "application/pdf"
    assert note.startswith("binary skipped") and content_hash is None


def test_huge_page_is_cut_off_recorded_and_not_stored(crawled):
    snap = good_snapshots(crawled, crawled["first"].crawl_run_id)["/riesig.html"]
    assert snap[0] is None and snap[3].startswith("too_large") and snap[4] is None
    biggest = rows(crawled["db"], "SELECT max(octet_length(body)) FROM page_bodies")[0][0]
    assert biggest < 1024 * 1024


def test_latin1_umlauts_survive_storage_and_decoding(crawled):
    pages = good_snapshots(crawled, crawled["first"].crawl_run_id)
    content_type, content_hash = pages["/latin1.html"][1], pages["/latin1.html"][4]
    body = rows(
        crawled["db"], "SELECT body FROM page_bodies WHERE content_hash = ?", [content_hash]
    )[0][0]
    assert bytes(body) == (WEB / "good/latin1.html").read_bytes()
    assert "Gründung 2009 in Würzburg; Fördermaßnahme" in decode_body(content_type, bytes(body))


def test_malformed_and_consent_pages_are_stored_whole(crawled):
    pages = good_snapshots(crawled, crawled["first"].crawl_run_id)
    for path in ("/kaputt.html", "/consent.html"):
        content_hash = pages[path][4]
        assert (
            content_hash
            == hashlib.sha256((WEB / "good" / path.lstrip("/")).read_bytes()).hexdigest()
        )
    assert pages["/kaputt.html"][0] == 200


def test_duplicate_page_under_another_url_points_at_the_first_copy(crawled):
    pages = good_snapshots(crawled, crawled["first"].crawl_run_id)
    pair = [pages["/ueber-uns/"], pages["/verein/ueber-uns.html"]]
    # Both are fetched in parallel: whichever arrived second is the duplicate.
    first, dup = sorted(pair, key=lambda snap: snap[3] == "duplicate")
    assert dup[3] == "duplicate" and dup[5] == first[6] and dup[4] == first[4]
    bodies = rows(
        crawled["db"], "SELECT count(*) FROM page_bodies WHERE content_hash = ?", [first[4]]
    )
    assert bodies == [(1,)]


def test_javascript_only_site_is_recorded_as_empty_with_its_snapshot(crawled):
    found = rows(
        crawled["db"],
        "SELECT http_status, content_hash IS NOT NULL FROM page_snapshots "
        "WHERE cluster_id = 'jsonly' AND crawl_run_id = ?",
        [crawled["first"].crawl_run_id],
    )
    assert found == [(200, True)]


def test_recrawl_records_304_and_identical_pages_as_unchanged(crawled):
    second = crawled["second"]
    assert second.crawl_run_id != crawled["first"].crawl_run_id
    assert second.new_bodies == 0
    before = good_snapshots(crawled, crawled["first"].crawl_run_id)
    after = good_snapshots(crawled, second.crawl_run_id)
    themen = after["/themen/"]
    assert themen[0] == 304 and themen[3] == "unchanged" and themen[5] == before["/themen/"][6]
    latin1 = after["/latin1.html"]
    assert latin1[3] == "unchanged" and latin1[4] == before["/latin1.html"][4]
    assert second.unchanged >= 10
    assert set(after) >= {
        "/",
        "/ueber-uns/",
        "/themen/",
        "/projekte/",
    }  # links followed from old bodies


def test_recrawl_reads_the_previous_bodies_in_one_query_not_one_per_304(crawled):
    second = crawled["second"]
    assert second.unchanged >= 10  # many 304 answers, all resolved from one read
    ((stats,),) = rows(
        crawled["db"], "SELECT stats FROM crawl_runs WHERE crawl_run_id = ?", [second.crawl_run_id]
    )
    assert json.loads(stats)["body_reads"] == {"queries": 1}


def test_a_site_that_cannot_be_written_fails_the_run_and_the_rerun_crawls_it(tmp_path):
    """The site's outcome row is taken (by this test) while it is crawled: its write fails,
    so the run must end failed, not finished without the site."""
    db = tmp_path / "w.duckdb"
    migrate(db)
    slow = tmp_path / "slow"
    slow.mkdir()
    text = "<p>Das Netzwerk verbindet Unternehmen und Forschung in der Region.</p>" * 5
    (slow / "index.html").write_text(f'<html><body>{text}<a href="/a.html">A</a></body></html>')
    (slow / "a.html").write_text(f"<html><body>{text}</body></html>")
    (slow / "_site.yaml").write_text("routes:\n  - {path: /, delay: 1}\n")
    taken: list[str] = []

    def take_the_outcome_row() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            running = rows(db, "SELECT crawl_run_id FROM crawl_runs WHERE status = 'running'")
            if running:
                with connect(db) as con:
                    con.execute(
                        "INSERT INTO site_outcomes (crawl_run_id, cluster_id, outcome, "
                        "finished_at) VALUES (?, 'slow', 'ok', now())",
                        [running[0][0]],
                    )
                taken.append(running[0][0])
                return
            time.sleep(0.05)

    with LocalWeb({"slow": slow}) as web:
        add_cluster(db, "slow", web.url("slow") + "/")
        settings = fast_settings(db)
        settings.crawl.download_timeout = 10.0  # the delayed home page must arrive
        thief = threading.Thread(target=take_the_outcome_row)
        thief.start()
        with pytest.raises(CrawlError, match="could not be written to the warehouse"):
            crawl_sites(settings, allow_private=True, progress=False)
        thief.join()
        ((status, stats),) = rows(
            db, "SELECT status, stats FROM crawl_runs WHERE crawl_run_id = ?", [taken[0]]
        )
        assert status == "failed"
        assert "slow" in json.loads(stats)["failure"]
        rerun = crawl_sites(settings, allow_private=True, progress=False)
    assert rerun.crawl_run_id != taken[0]
    assert rerun.outcomes == {"ok": 1} and rerun.pages > 1


def test_page_budget_limits_each_site(tmp_path):
    db = tmp_path / "w.duckdb"
    migrate(db)
    with LocalWeb({"good": WEB / "good"}) as web:
        add_cluster(db, "good", web.url("good") + "/")
        result = crawl_sites(fast_settings(db), max_pages=3, allow_private=True, progress=False)
    kinds = rows(db, "SELECT page_kind FROM page_snapshots ORDER BY fetched_at")
    assert len(kinds) == 3 and kinds[0] == ("home",)
    assert {k for (k,) in kinds[1:]} <= {"about", "topics"}
    assert result.outcomes == {"ok": 1}


def _private_host_name() -> str | None:
    """This machine's name if it resolves to a non-public address (mostly 127.0.x.1 or a
    container address): a NAME that only the resolver, not the middleware, can refuse."""
    from clusterradar.crawler.middlewares import is_public_address

    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        return None
    if is_public_address(address) or name.lower().endswith("localhost"):
        return None  # public: not ours to connect to; *localhost: the middleware catches it
    return name


def test_loopback_host_without_allow_private_is_refused(db_path, cli):
    named = _private_host_name()
    with LocalWeb({"good": WEB / "good"}) as web:
        add_cluster(db_path, "loopback", web.url("good") + "/")
        add_cluster(db_path, "localhost", web.url("good").replace("127.0.0.1", "localhost") + "/")
        add_cluster(db_path, "numeric", web.url("good").replace("127.0.0.1", "2130706433") + "/")
        if named:
            add_cluster(db_path, "named", web.url("good").replace("127.0.0.1", named) + "/")
        fast = {"CLUSTERRADAR_CRAWL_AUTOTHROTTLE": "false", "CLUSTERRADAR_CRAWL_RETRY_TIMES": "0"}
        result = cli("--db", db_path, "crawl", "sites", "--no-progress", env=fast)
    assert result.exit_code == 0, result.output
    found = rows(db_path, "SELECT cluster_id, outcome, pages, detail FROM site_outcomes ORDER BY 1")
    expected = ["localhost", "loopback", "numeric"] + (["named"] if named else [])
    assert {r[0]: r[1:3] for r in found} == {c: ("refused_private", 0) for c in expected}
    if named:  # refused by the resolver at connection time, mapped to refused_private
        assert dict((r[0], r[3]) for r in found)["named"].startswith(f"{named} resolves to")
    assert rows(db_path, "SELECT count(*) FROM page_snapshots") == [(0,)]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_interrupts_and_a_rerun_continues_without_duplicates(tmp_path, stop):
    db = tmp_path / "w.duckdb"
    migrate(db)
    # site0 answers at once; the others are slow on every page, so the first outcome is written
    # long before the crawl could end.
    sites = {}
    for n in range(4):
        site_dir = tmp_path / f"site{n}"
        shutil.copytree(WEB / "good", site_dir)
        if n == 0:
            (site_dir / "index.html").write_text("<p>" + "Netzwerk " * 20 + "</p>")
            (site_dir / "_site.yaml").write_text("{}\n")
        else:
            (site_dir / "_site.yaml").write_text("routes:\n  - {path_prefix: /, delay: 0.15}\n")
        sites[f"site{n}"] = site_dir
    env = {
        **os.environ,
        "CLUSTERRADAR_DB": str(db),
        "CLUSTERRADAR_CRAWL_CONCURRENT_REQUESTS": "1",
        "CLUSTERRADAR_CRAWL_AUTOTHROTTLE": "false",
        "CLUSTERRADAR_CRAWL_MAX_PAGES": "3",
        "CLUSTERRADAR_CRAWL_DOWNLOAD_MAXSIZE": "1048576",
    }
    command = [
        sys.executable,
        "-c",
        "from clusterradar.cli import main; main()",
        "crawl",
        "sites",
        "--allow-private",
        "--no-progress",
    ]
    with LocalWeb(sites) as web:
        for name in sites:
            add_cluster(db, name, web.url(name) + "/")
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if rows(db, "SELECT count(*) FROM site_outcomes")[0][0] >= 1:
                break
            time.sleep(0.25)
        proc.send_signal(stop)  # SIGINT: what Ctrl-C sends
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert b"interrupted" in stderr
        ((run_id, status),) = rows(db, "SELECT crawl_run_id, status FROM crawl_runs")
        assert status == "interrupted"
        done_before = rows(db, "SELECT count(*) FROM site_outcomes")[0][0]
        assert 1 <= done_before < 4
        rerun = subprocess.run(command, env=env, capture_output=True, timeout=60)
        assert rerun.returncode == 0, rerun.stderr.decode()
        assert f"resuming run {run_id} started".encode() in rerun.stderr
    assert rows(db, "SELECT crawl_run_id, status FROM crawl_runs") == [(run_id, "finished")]
    assert rows(db, "SELECT count(*) FROM site_outcomes WHERE outcome = 'ok'") == [(4,)]
    duplicates = rows(
        db, "SELECT cluster_id, url, count(*) FROM page_snapshots GROUP BY ALL HAVING count(*) > 1"
    )
    assert duplicates == []
    pages = dict(rows(db, "SELECT cluster_id, count(*) FROM page_snapshots GROUP BY ALL"))
    assert pages == {"site0": 1} | {f"site{n}": 3 for n in range(1, 4)}


# --- stop signals, resume decisions, PDFs ---------------------------------------------------

CLI_COMMAND = [sys.executable, "-c", "from clusterradar.cli import main; main()"]


def tiny_site(root: Path, name: str, files: dict[str, str | bytes] | None = None) -> Path:
    """A one-page site (plus `files`) under root/name."""
    site_dir = root / name
    site_dir.mkdir()
    pages = {"index.html": "<h1>Netzwerk</h1><p>" + "Sicherheit und Forschung " * 5 + "</p>"}
    for path, content in (pages | (files or {})).items():
        target = site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return site_dir


def crawl_env(db: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CLUSTERRADAR_DB": str(db),
        "CLUSTERRADAR_CRAWL_AUTOTHROTTLE": "false",
        "CLUSTERRADAR_CRAWL_DOWNLOAD_MAXSIZE": "1048576",
        **extra,
    }


def wait_for(db: Path, sql: str, minimum: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if rows(db, sql)[0][0] >= minimum:
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {sql}")


def test_a_hung_crawl_is_stopped_by_escalation_and_keeps_committed_rows(tmp_path):
    db = tmp_path / "w.duckdb"
    migrate(db)
    fast = tiny_site(tmp_path, "fast")
    hung = tiny_site(tmp_path, "hung", {"_site.yaml": "routes:\n  - {path: /, delay: 60}\n"})
    # A grace period of 1 s instead of 20 s; the hung page would hold a graceful stop for 60 s.
    command = [
        sys.executable,
        "-c",
        "import clusterradar.crawler.runner as r; r.STOP_GRACE_SECONDS = 1.0; "
        "r.KILL_GRACE_SECONDS = 2.0; from clusterradar.cli import main; main()",
        *["crawl", "sites", "--allow-private", "--no-progress"],
    ]
    env = crawl_env(db, CLUSTERRADAR_CRAWL_DOWNLOAD_TIMEOUT="120")
    with LocalWeb({"fast": fast, "hung": hung}) as web:
        add_cluster(db, "fast", web.url("fast") + "/")
        add_cluster(db, "hung", web.url("hung") + "/")
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(db, "SELECT count(*) FROM site_outcomes", 1)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)  # once: the parent must escalate by itself
        _, stderr = proc.communicate(timeout=20)
        stopped_after = time.monotonic() - started
    assert proc.returncode == 130, stderr.decode()
    assert stopped_after < 10, stopped_after
    assert b"Rerun to continue" in stderr
    assert rows(db, "SELECT status FROM crawl_runs") == [("interrupted",)]
    assert rows(db, "SELECT cluster_id, outcome FROM site_outcomes") == [("fast", "ok")]


def test_resume_continues_only_a_run_that_asked_for_the_same_clusters(tmp_path, capsys):
    from clusterradar.crawler.runner import request_hash
    from clusterradar.warehouse.crawls import SiteResult, finish_run, start_run, write_site

    db = tmp_path / "w.duckdb"
    migrate(db)
    settings = fast_settings(db)
    with LocalWeb({"site": tiny_site(tmp_path, "site")}) as web:
        for name in ("a", "b", "c"):
            add_cluster(db, name, f"{web.url('site')}/?cluster={name}")

        def interrupted_run(clusters: list[str]) -> str:
            asked = request_hash("sites", clusters, settings.crawl, True)
            with connect(db) as con:
                run_id = start_run(con, "sites", quarter="2026Q4", settings={"request_hash": asked})
                write_site(con, run_id, SiteResult(clusters[0], None, "ok", "done before"))
                finish_run(con, run_id, "interrupted", {})
            return run_id

        # An interrupted `-c a -c b` is not "resumed" by `-c c`: abandoned, a new run starts.
        ab = interrupted_run(["a", "b"])
        other = crawl_sites(
            settings, cluster_ids=["c"], quarter="2026q4", allow_private=True, progress=False
        )
        assert not other.resumed and other.crawl_run_id != ab
        assert f"abandoned unfinished run {ab}" in capsys.readouterr().err
        # The same request (order of ids does not matter) continues the run, skipping `a`.
        again = interrupted_run(["a", "b"])
        resumed = crawl_sites(
            settings, cluster_ids=["b", "a"], quarter="2026Q4", allow_private=True, progress=False
        )
        assert resumed.resumed and resumed.crawl_run_id == again
        assert f"resuming run {again} started" in capsys.readouterr().err
    status = dict(rows(db, "SELECT crawl_run_id, status FROM crawl_runs"))
    assert status == {ab: "abandoned", other.crawl_run_id: "finished", again: "finished"}
    crawled = rows(db, "SELECT crawl_run_id, cluster_id, detail FROM site_outcomes ORDER BY 1, 2")
    assert [(r, c) for r, c, _ in crawled if r == again] == [(again, "a"), (again, "b")]
    assert (again, "a", "done before") in crawled  # kept, not crawled twice
    assert [c for r, c, _ in crawled if r == other.crawl_run_id] == ["c"]


def pdf_site(root: Path) -> Path:
    pdf = (WEB / "good" / "jahresbericht.pdf").read_bytes()
    return tiny_site(
        root,
        "pdfsite",
        {
            "index.html": '<h1>Netzwerk</h1><p><a href="/downloads/bericht.pdf">Bericht</a> '
            + "Sicherheit und Forschung " * 5
            + "</p>",
            "downloads/bericht.pdf": pdf,
        },
    )


@pytest.mark.parametrize("capture_pdf", [False, True], ids=["pdf-off", "pdf-on"])
def test_pdf_links_are_captured_only_when_asked(tmp_path, capture_pdf):
    db = tmp_path / "w.duckdb"
    migrate(db)
    settings = fast_settings(db)
    settings.crawl.capture_pdf = capture_pdf
    with LocalWeb({"pdfsite": pdf_site(tmp_path)}) as web:
        base = web.url("pdfsite")
        add_cluster(db, "pdf", base + "/")
        crawl_sites(settings, allow_private=True, progress=False)
    found = rows(
        db,
        "SELECT s.url, s.note, s.content_type, b.body FROM page_snapshots s "
        "LEFT JOIN page_bodies b USING (content_hash) WHERE s.url LIKE '%.pdf'",
    )
    if not capture_pdf:
        assert found == []  # skipped by extension: never requested
        return
    ((url, note, content_type, body),) = found
    assert url == base + "/downloads/bericht.pdf"  # stored as fetched: http, not https
    assert note == "pdf captured" and content_type.startswith("application/pdf")
    assert bytes(body) == (WEB / "good" / "jahresbericht.pdf").read_bytes()
