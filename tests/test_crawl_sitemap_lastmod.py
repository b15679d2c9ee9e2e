"""A recrawl trusts the sitemap's <lastmod>: an unchanged page costs no request (issue 17).

Real Scrapy engine (child process), real HTTP on 127.0.0.1 (LocalWeb counts the requests per
path), a real DuckDB file. Three sites are crawled once, their sitemaps edited, and crawled
again; then again with ``--revalidate-all`` and with ``crawl.sitemap_trust_days = 0``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterradar.cli import app
from clusterradar.crawler.localweb import LocalWeb
from clusterradar.crawler.runner import crawl_sites
from clusterradar.crawler.site import scope_of
from clusterradar.crawler.sitemaps import read_sitemap, sitemap_lastmod
from clusterradar.settings import Settings
from clusterradar.warehouse import connect, migrate
from clusterradar.warehouse.crawls import SITEMAP_UNCHANGED_NOTE

LASTMOD = "2026-10-01T09:30:00+02:00"
STORED = "2026-10-01T07:30:00Z"  # LASTMOD as the warehouse keeps it
NOW = dt.datetime(2026, 12, 6, 12, 0)
REVALIDATE = ["--revalidate-all"]


def page(title: str, links: list[str]) -> str:
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
    text = f"{title}: Das Netzwerk verbindet Unternehmen und Forschung in der Region. " * 4
    return f"<html><head><title>{title}</title></head><body><p>{text}</p>{anchors}</body></html>"


def write_site(root: Path, pages: dict[str, list[str]]) -> Path:
    """A site of HTML pages (path -> links), served with ETag and Last-Modified."""
    root.mkdir(parents=True)
    for path, links in pages.items():
        name = "index.html" if path == "/" else path.lstrip("/")
        (root / name).write_text(page(path, links), encoding="utf-8")
    (root / "_site.yaml").write_text("etag: true\n", encoding="utf-8")
    return root


def write_sitemap(root: Path, entries: dict[str, str | None]) -> None:
    """/sitemap.xml with these locs (a path, or a full URL) and <lastmod> values."""
    urls = "".join(
        f"<url><loc>{loc if '://' in loc else '{{site:' + root.name + '}}' + loc}</loc>"
        + (f"<lastmod>{lastmod}</lastmod>" if lastmod is not None else "")
        + "</url>\n"
        for loc, lastmod in entries.items()
    )
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n',
        encoding="utf-8",
    )


def add_cluster(db: Path, cluster_id: str, website: str) -> None:
    with connect(db) as con:
        con.execute(
            "INSERT INTO clusters (cluster_id, name, website, origin, first_seen, last_seen) "
            "VALUES (?, ?, ?, 'manual', now(), now())",
            [cluster_id, cluster_id, website],
        )


def settings_for(db: Path) -> Settings:
    settings = Settings(db=db)
    settings.crawl.download_timeout = 2.0
    settings.crawl.retry_times = 0
    settings.crawl.autothrottle = False
    return settings


def pages_asked(web: LocalWeb, name: str) -> set[str]:
    """The pages (not robots.txt, not the sitemap) a site was asked for since the last reset."""
    return {p for p in web.requests(name) if p not in ("/robots.txt", "/sitemap.xml")}


def snapshots(db: Path, run_id: str, cluster_id: str, base: str) -> dict[str, tuple]:
    with connect(db, read_only=True) as con:
        found = con.execute(
            "SELECT url, http_status, note, content_hash, unchanged_of, sitemap_lastmod, "
            "page_kind FROM page_snapshots WHERE crawl_run_id = ? AND cluster_id = ?",
            [run_id, cluster_id],
        ).fetchall()
    return {r[0].removeprefix(base): r[1:] for r in found}


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lastmod")
    db = tmp / "warehouse.duckdb"
    migrate(db)
    steady = write_site(
        tmp / "steady",
        {"/": ["/a.html", "/b.html"], "/a.html": ["/deep.html"], "/b.html": [], "/deep.html": []},
    )
    write_sitemap(steady, {"/": LASTMOD, "/a.html": LASTMOD, "/b.html": LASTMOD})  # no deep
    odd = write_site(
        tmp / "odd",
        {"/": ["/x.html", "/y.html", "/z.html"], "/x.html": [], "/y.html": [], "/z.html": []},
    )
    write_sitemap(odd, {p: LASTMOD for p in ("/", "/x.html", "/y.html", "/z.html")})
    old = write_site(tmp / "old", {"/": ["/p.html"], "/p.html": []})
    write_sitemap(old, {"/": LASTMOD, "/p.html": LASTMOD})
    runs: dict[str, str] = {}
    asked: dict[str, dict[str, set[str]]] = {}
    names = ["steady", "odd", "old"]
    with LocalWeb({"steady": steady, "odd": odd, "old": old}) as web:
        for name in names:
            add_cluster(db, name, web.url(name) + "/")
        settings = settings_for(db)

        def crawl(label: str, **kwargs) -> None:
            web.reset_requests()
            runs[label] = crawl_sites(settings, allow_private=True, progress=False, **kwargs)
            asked[label] = {name: pages_asked(web, name) for name in names}
            asked[label + ":sitemap"] = {n: web.requests(n)["/sitemap.xml"] for n in names}

        crawl("first")
        # Between the quarters: a.html changes its date; x.html claims a date in the future,
        # y.html one that does not parse, z.html's entry moves to another host; every page of
        # 'old' was last fetched 400 days ago (beyond the default trust window of 365).
        write_sitemap(steady, {"/": LASTMOD, "/a.html": "2026-11-20T10:00:00Z", "/b.html": LASTMOD})
        write_sitemap(
            odd,
            {
                "/": LASTMOD,
                "/x.html": "2999-01-01",
                "/y.html": "gestern",
                web.url("steady") + "/z.html": LASTMOD,
            },
        )
        with connect(db) as con:
            con.execute(
                "UPDATE page_snapshots SET fetched_at = fetched_at - INTERVAL 400 DAY "
                "WHERE cluster_id = 'old'"
            )
        crawl("second")
        web.reset_requests()
        result = CliRunner().invoke(
            app,
            ["--db", str(db), "crawl", "sites", "--allow-private", "--no-progress", *REVALIDATE],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        asked["revalidate"] = {name: pages_asked(web, name) for name in names}
        settings.crawl.sitemap_trust_days = 0
        crawl("never")
        yield {
            "db": db,
            "runs": runs,
            "asked": asked,
            "base": {name: web.url(name) for name in names},
            "cli": result.output,
        }


def steady_rows(recrawled, label: str) -> dict[str, tuple]:
    run_id = recrawled["runs"][label].crawl_run_id
    return snapshots(recrawled["db"], run_id, "steady", recrawled["base"]["steady"])


@pytest.mark.slow
def test_first_crawl_asks_every_page_and_records_the_normalised_lastmod(recrawled):
    assert recrawled["asked"]["first"]["steady"] == {"/", "/a.html", "/b.html", "/deep.html"}
    rows = steady_rows(recrawled, "first")
    assert {url: r[4] for url, r in rows.items()} == {
        "/": STORED,
        "/a.html": STORED,
        "/b.html": STORED,
        "/deep.html": None,  # not in the sitemap
    }


@pytest.mark.slow
def test_unchanged_lastmod_sends_no_request_and_carries_the_page_forward_like_a_304(recrawled):
    asked = recrawled["asked"]["second"]["steady"]
    assert "/" not in asked and "/b.html" not in asked
    assert recrawled["asked"]["second:sitemap"]["steady"] == 1
    first = steady_rows(recrawled, "first")
    second = steady_rows(recrawled, "second")
    for url in ("/", "/b.html"):
        status, note, content_hash, unchanged_of, lastmod, kind = second[url]
        assert (status, note, lastmod) == (304, SITEMAP_UNCHANGED_NOTE, STORED)
        assert content_hash == first[url][2]
        assert unchanged_of is not None and kind is not None
    result = recrawled["runs"]["second"]
    assert result.not_requested == 3 and result.errors == 0  # steady's two, odd's home page
    assert result.unchanged == result.pages == 10  # carried pages count as unchanged, like 304s


@pytest.mark.slow
def test_links_of_a_carried_page_are_still_followed(recrawled):
    # the home page was not requested, yet a.html and b.html (linked only from it) were reached
    second = steady_rows(recrawled, "second")
    assert {"/", "/a.html", "/b.html", "/deep.html"} <= set(second)


@pytest.mark.slow
def test_changed_lastmod_is_requested_conditionally(recrawled):
    assert "/a.html" in recrawled["asked"]["second"]["steady"]
    status, note, *_ = steady_rows(recrawled, "second")["/a.html"]
    assert (status, note) == (304, "unchanged")  # asked, and the site said 304


@pytest.mark.slow
def test_a_page_the_sitemap_does_not_list_is_requested(recrawled):
    assert "/deep.html" in recrawled["asked"]["second"]["steady"]
    assert steady_rows(recrawled, "second")["/deep.html"][:2] == (304, "unchanged")


@pytest.mark.slow
def test_future_garbage_and_offsite_lastmods_are_not_trusted(recrawled):
    assert recrawled["asked"]["second"]["odd"] == {"/x.html", "/y.html", "/z.html"}
    run_id = recrawled["runs"]["second"].crawl_run_id
    rows = snapshots(recrawled["db"], run_id, "odd", recrawled["base"]["odd"])
    assert rows["/"][1] == SITEMAP_UNCHANGED_NOTE
    assert rows["/x.html"][4] is None and rows["/y.html"][4] is None


@pytest.mark.slow
def test_a_fetch_older_than_the_trust_window_is_requested(recrawled):
    assert recrawled["asked"]["second"]["old"] == {"/", "/p.html"}


@pytest.mark.slow
def test_revalidate_all_asks_every_page_again(recrawled):
    assert recrawled["asked"]["revalidate"] == {
        "steady": {"/", "/a.html", "/b.html", "/deep.html"},
        "odd": {"/", "/x.html", "/y.html", "/z.html"},
        "old": {"/", "/p.html"},
    }
    assert "of which not requested by the sitemap's date: 0" in recrawled["cli"]


@pytest.mark.slow
def test_a_trust_window_of_zero_days_asks_every_page(recrawled):
    assert recrawled["asked"]["never"]["steady"] == {"/", "/a.html", "/b.html", "/deep.html"}
    assert recrawled["asked"]["never"]["old"] == {"/", "/p.html"}
    assert recrawled["runs"]["never"].not_requested == 0


# --- pure functions and the loopback server -----------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-30", "2026-11-30"),
        ("2026-11-30T08:15:00+01:00", "2026-11-30T07:15:00Z"),
        ("2026-11-30T08:15Z", "2026-11-30T08:15:00Z"),
        ("2026-11-30T08:15:00.5Z", "2026-11-30T08:15:00Z"),
        ("2026-12-07", None),  # tomorrow
        ("2026-12-06T12:00:01Z", None),  # a second in the future
        ("2026", None),  # too coarse to vouch for a page
        ("2026-02-30", None),
        ("gestern", None),
        ("", None),
        (None, None),
    ],
)
def test_lastmod_is_normalised_or_not_trusted(value, expected):
    assert sitemap_lastmod(value, NOW) == expected


def test_sitemap_reading_is_bounded_and_keeps_only_the_site(tmp_path):
    entries = "".join(
        f"<url><loc>https://x.de/p{i}.html</loc><lastmod>2026-01-0{i + 1}</lastmod></url>"
        for i in range(5)
    )
    body = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://elsewhere.de/a.html</loc><lastmod>2026-01-01</lastmod></url>"
        f"{entries}</urlset>"
    ).encode()
    read = read_sitemap(body, "https://x.de/sitemap.xml", scope_of("https://x.de/"), 4, NOW)
    assert read is not None
    assert read.entries == [(f"https://x.de/p{i}.html", f"2026-01-0{i + 1}") for i in range(3)]
    assert (read.capped, read.offsite) == (2, 1)
    assert (
        read_sitemap(b"<sitemapindex/>", "https://x.de/", scope_of("https://x.de/"), 4, NOW) is None
    )


def test_sitemap_entities_are_not_expanded():
    laughs = "".join(
        f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">' for i in range(1, 9)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY l0 "ha">{laughs}]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://x.de/&l8;</loc><lastmod>&l8;</lastmod></url></urlset>"
    ).encode()
    read = read_sitemap(body, "https://x.de/", scope_of("https://x.de/"), 10, NOW)
    assert read is not None
    assert read.entries  # parsed, with the entity references left unresolved
    assert all("haha" not in url and lastmod is None for url, lastmod in read.entries)


def test_localweb_sitemap_lists_each_page_with_its_last_modified_time(tmp_path):
    site = write_site(tmp_path / "gen", {"/": ["/a.html"], "/a.html": []})
    (site / "sub").mkdir()
    (site / "sub" / "index.html").write_text(page("sub", []), encoding="utf-8")
    with LocalWeb({"gen": site}) as web:
        base = web.url("gen")
        with urllib.request.urlopen(base + "/sitemap.xml") as response:
            body = response.read()
        with urllib.request.urlopen(base + "/a.html") as response:
            modified = email.utils.parsedate_to_datetime(response.headers["Last-Modified"])
        assert web.requests("gen") == {"/sitemap.xml": 1, "/a.html": 1}
    read = read_sitemap(body, base + "/", scope_of(base + "/"), 100, dt.datetime(2999, 1, 1))
    assert read is not None
    lastmods = dict(read.entries)
    assert set(lastmods) == {base + "/", base + "/a.html", base + "/sub/"}
    assert lastmods[base + "/a.html"] == f"{modified.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%S}Z"
