"""An unchanged page of a recrawl replays its stored link scan; without one it is scanned from
its body, with the same result (issue 17, migration 0011).

Real Scrapy engine (child process), real HTTP on 127.0.0.1, real DuckDB files. Two sites of the
same pages are crawled once: one answers a recrawl with 304s, the other is carried forward on
its sitemap's <lastmod>. The warehouse is then copied twice; one copy loses its stored scans (a
warehouse written before 0011). Both copies recrawl the same unchanged web, and what they write
(snapshots, outcomes, counts, the requests the sites saw) must be identical. The pages cover
what a scan carries: relative links of one body under two URLs, a <base href>, a page over the
per-page link cap, a page without visible text, page kinds judged from titles.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clusterradar.crawler.localweb import LocalWeb
from clusterradar.crawler.runner import crawl_sites
from clusterradar.settings import Settings
from clusterradar.warehouse import connect, migrate

TEXT = "Das Netzwerk verbindet Unternehmen und Forschung in der Region. " * 3
LINK_CAP = 6


def page(title: str, links: list[str], *, text: str = TEXT, head: str = "") -> str:
    anchors = "".join(f'<a href="{href}">{anchor}</a> ' for href, anchor in links_of(links))
    return (
        f"<html><head><title>{title}</title>{head}</head><body><p>{text}</p>{anchors}</body></html>"
    )


def links_of(links: list[str]) -> list[tuple[str, str]]:
    return [(href, f"Seite {href}") for href in links]


SAME_BODY = page("Gleich", ["next.html"])  # served as /one.html and /two/one.html
PAGES = {
    # /two/next.html is linked from here too: whichever of the two equal bodies is fetched
    # second is a duplicate, and a duplicate's links are not followed on a first crawl.
    "index.html": page(
        "Start", ["one.html", "two/one.html", "many.html", "based.html", "e.html", "two/next.html"]
    ),
    "one.html": SAME_BODY,
    "two/one.html": SAME_BODY,
    "next.html": page("Projekte", []),
    "two/next.html": page("Mitglieder", []),
    "many.html": page("Themen", [f"m{i}.html" for i in range(1, 11)]),  # 4 over the cap
    **{f"m{i}.html": page(f"Seite {i}", []) for i in range(1, 11)},
    "based.html": page("Über uns", ["deep.html"], head='<base href="two/">'),
    "two/deep.html": page("Tief", []),
    "e.html": page("Leer", ["next.html"], text="1 2 3"),  # no visible letters
}


def write_site(root: Path, config: str) -> Path:
    for name, html in PAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(html, encoding="utf-8")
    (root / "_site.yaml").write_text(config, encoding="utf-8")
    return root


def settings_for(db: Path) -> Settings:
    settings = Settings(db=db)
    settings.crawl.download_timeout = 2.0
    settings.crawl.retry_times = 0
    settings.crawl.autothrottle = False
    settings.crawl.max_links_per_page = LINK_CAP
    settings.crawl.max_pages = 40
    return settings


def written(db: Path, run_id: str) -> dict[str, object]:
    """What a run wrote, without ids and times: snapshots, outcomes and the run's counts."""
    with connect(db, read_only=True) as con:
        snapshots = con.execute(
            "SELECT cluster_id, url, final_url, http_status, content_type, etag, last_modified,"
            " content_hash, unchanged_of, page_kind, note, sitemap_lastmod"
            " FROM page_snapshots WHERE crawl_run_id = ? ORDER BY ALL",
            [run_id],
        ).fetchall()
        outcomes = con.execute(
            "SELECT cluster_id, seed_url, outcome, pages, detail FROM site_outcomes"
            " WHERE crawl_run_id = ? ORDER BY ALL",
            [run_id],
        ).fetchall()
        (stats,) = con.execute(
            "SELECT stats FROM crawl_runs WHERE crawl_run_id = ?", [run_id]
        ).fetchone()
    stats = json.loads(stats)
    counts = {k: stats[k] for k in ("outcomes", "pages", "unchanged", "new_bodies",
                                    "page_errors", "not_requested", "skipped_links")}  # fmt: skip
    return {"snapshots": snapshots, "outcomes": outcomes, "counts": counts}


def run_stats(db: Path, run_id: str) -> dict:
    with connect(db, read_only=True) as con:
        (stats,) = con.execute(
            "SELECT stats FROM crawl_runs WHERE crawl_run_id = ?", [run_id]
        ).fetchone()
    return json.loads(stats)


def stored_scans(db: Path) -> list[tuple]:
    with connect(db, read_only=True) as con:
        return con.execute(
            "SELECT base_url, link_limit, title, has_text, links_dropped, links, anchors"
            " FROM page_link_scans ORDER BY base_url"
        ).fetchall()


def copy_warehouse(db: Path, folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(db, folder / db.name)
    return folder / db.name


@pytest.fixture(scope="module")
def recrawls(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scans")
    first_db = tmp / "first" / "warehouse.duckdb"
    first_db.parent.mkdir()
    migrate(first_db)
    sites = {
        "asked": write_site(tmp / "asked", "etag: true\nsitemap: false\n"),  # recrawl: 304s
        "mapped": write_site(tmp / "mapped", "etag: true\n"),  # recrawl: carried on <lastmod>
    }
    with LocalWeb(sites) as web:
        with connect(first_db) as con:
            for name in sites:
                con.execute(
                    "INSERT INTO clusters (cluster_id, name, website, origin, first_seen,"
                    " last_seen) VALUES (?, ?, ?, 'manual', now(), now())",
                    [name, name, web.url(name) + "/"],
                )
        first = crawl_sites(settings_for(first_db), allow_private=True, progress=False)
        with_scans = copy_warehouse(first_db, tmp / "with")
        without_scans = copy_warehouse(first_db, tmp / "without")
        with connect(without_scans) as con:
            con.execute("DELETE FROM page_link_scans")  # as if written before migration 0011
        runs, asked = {}, {}
        for label, db in (("with", with_scans), ("without", without_scans)):
            web.reset_requests()
            runs[label] = crawl_sites(settings_for(db), allow_private=True, progress=False)
            asked[label] = {name: dict(web.requests(name)) for name in sites}
        web.reset_requests()
        runs["upgraded"] = crawl_sites(
            settings_for(without_scans), allow_private=True, progress=False
        )
        asked["upgraded"] = {name: dict(web.requests(name)) for name in sites}
        yield {
            "first": (first_db, first),
            "with": (with_scans, runs["with"]),
            "without": (without_scans, runs["without"]),
            "upgraded": (without_scans, runs["upgraded"]),
            "asked": asked,
            "base": {name: web.url(name) for name in sites},
        }


@pytest.mark.slow
def test_first_crawl_stores_one_scan_per_body_and_url_with_the_links_after_the_cap(recrawls):
    db, _ = recrawls["first"]
    base = recrawls["base"]["asked"]
    scans = {row[0]: row[1:] for row in stored_scans(db) if row[0].startswith(base)}
    assert len(scans) == len(PAGES) - 4  # m7..m10 are beyond the cap: never fetched
    limit, title, has_text, dropped, links, anchors = scans[base + "/many.html"]
    assert (limit, title, has_text, dropped) == (LINK_CAP, "Themen", True, 4)
    assert links == [f"{base}/m{i}.html" for i in range(1, 7)]
    assert anchors == [f"Seite m{i}.html" for i in range(1, 7)]
    # One body under two URLs: two scans, each resolved against its own URL.
    assert scans[base + "/one.html"][4] == [base + "/next.html"]
    assert scans[base + "/two/one.html"][4] == [base + "/two/next.html"]
    assert scans[base + "/based.html"][4] == [base + "/two/deep.html"]
    assert scans[base + "/e.html"][2] is False


@pytest.mark.slow
def test_recrawl_replays_stored_scans_and_reads_no_body(recrawls):
    db, result = recrawls["with"]
    stats = run_stats(db, result.crawl_run_id)
    _, first = recrawls["first"]
    assert result.unchanged == result.pages == first.pages
    assert stats["unchanged_scans"] == {"replayed": result.pages}
    assert stats["body_reads"] == {"queries": 1}  # one prefetch: the scans, no body left to read


@pytest.mark.slow
def test_recrawl_without_stored_scans_scans_the_bodies_and_stores_their_scans(recrawls):
    db, result = recrawls["without"]
    assert run_stats(db, result.crawl_run_id)["unchanged_scans"] == {"from_body": result.pages}
    first_db, _ = recrawls["first"]
    assert stored_scans(db) == stored_scans(first_db)
    db, upgraded = recrawls["upgraded"]
    assert run_stats(db, upgraded.crawl_run_id)["unchanged_scans"] == {"replayed": upgraded.pages}


@pytest.mark.slow
def test_recrawl_with_and_without_stored_scans_writes_the_same_rows_and_asks_the_same_pages(
    recrawls,
):
    with_scans = written(*_db_and_run(recrawls, "with"))
    without_scans = written(*_db_and_run(recrawls, "without"))
    assert with_scans == without_scans
    assert recrawls["asked"]["with"] == recrawls["asked"]["without"]
    first = written(*_db_and_run(recrawls, "first"))
    assert with_scans["counts"]["skipped_links"] == first["counts"]["skipped_links"]
    assert first["counts"]["skipped_links"]["asked"] == {"page link cap": 4}
    base = recrawls["base"]["asked"]
    kinds = {row[1].removeprefix(base): row[9] for row in with_scans["snapshots"]}
    assert (kinds["/based.html"], kinds["/next.html"], kinds["/two/next.html"]) == (
        "about",
        "projects",
        "members",
    )
    # The first crawl recorded the same pages (its frontier), one of the two bodies a duplicate.
    assert [r[:2] for r in first["snapshots"]] == [r[:2] for r in with_scans["snapshots"]]
    assert first["outcomes"] == with_scans["outcomes"]


def _db_and_run(recrawls, label: str) -> tuple[Path, str]:
    db, result = recrawls[label]
    return db, result.crawl_run_id
