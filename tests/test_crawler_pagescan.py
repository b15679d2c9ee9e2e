"""The bounds of one site crawl, rule by rule, without a reactor: the streaming page scan, the
link and byte caps of the site spider, the time budget's clock and outcome, the settings.

The end-to-end proofs (real Scrapy engine, loopback trap sites, measured memory and time) are
in tests/test_crawler_bounds.py.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from lxml import html as lxml_html

from clusterradar.crawler import site
from clusterradar.crawler.pagescan import scan_page
from clusterradar.crawler.spiders import SiteSpider
from clusterradar.errors import ConfigError
from clusterradar.settings import load_settings

FIXTURES = Path(__file__).parent / "fixtures"


def tree_links(base_url: str, text: str) -> list[tuple[str, str]]:
    """The reference: links as a full lxml tree sees them (what the crawler did before)."""
    root = lxml_html.fromstring(text)
    base = root.xpath("//base/@href")
    base_url = urljoin(base_url, base[0]) if base else base_url
    found: dict[str, str] = {}
    for anchor in root.iter("a", "area"):
        url = site.clean_link(base_url, anchor.get("href", ""))
        if url and url not in found:
            found[url] = " ".join((anchor.text_content() or "").split())[:200]
    return list(found.items())


def letters(text: str) -> int:
    """Visible letters as the tree-based rule counts them."""
    return len(re.findall(r"[A-Za-zÄÖÜäöüß]", site.visible_text(text)))


def trap_page(links: int) -> str:
    anchors = "".join(f'<a href="/trap/{i}/">Seite {i}</a>\n' for i in range(links))
    return f"<html><head><title>Falle</title></head><body><h1>Netzwerk</h1>{anchors}</body></html>"


def test_streaming_scan_reads_every_fixture_page_as_the_tree_parser_does():
    pages = sorted(FIXTURES.rglob("*.htm*"))
    assert len(pages) > 40
    for page in pages:
        text = site.decode_body(None, page.read_bytes())
        scan = scan_page("http://x.de/a/b.html", text)
        assert scan.links == tree_links("http://x.de/a/b.html", text), page
        assert scan.visible_letters == letters(text), page
        assert scan.read_whole and scan.links_dropped == 0


def test_scan_keeps_the_first_links_up_to_the_cap_and_counts_the_rest():
    scan = scan_page("http://x.de/", trap_page(5000), link_limit=100, letters_wanted=10)
    assert [url for url, _ in scan.links] == [f"http://x.de/trap/{i}/" for i in range(100)]
    assert scan.links[7][1] == "Seite 7"
    assert scan.links_dropped == 4900
    assert scan.visible_letters >= 10


def test_scan_of_a_12_mb_page_of_330k_links_stays_small_in_memory():
    # In a fresh process: its peak RSS must not grow by the page's lxml tree (about 200 MB).
    code = inspect.getsource(trap_page) + (
        "import json, resource\n"
        "from clusterradar.crawler.pagescan import scan_page\n"
        "text = trap_page(330_000)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "scan = scan_page('http://x.de/', text, 1000, 40)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'mb': len(text) / 1e6, 'grew_mb': (after - before) / 1024,\n"
        "                  'links': len(scan.links), 'dropped': scan.links_dropped}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    assert found["mb"] > 10
    assert found["links"] == 1000 and found["dropped"] == 329_000
    assert found["grew_mb"] < 30, found


def test_malformed_or_empty_pages_scan_to_nothing_without_an_error():
    for text in ("", "   ", "\x00<a href='x'>y</a>", "<<<>>>", "<a href='javascript:x()'>j</a>"):
        scan = scan_page("http://x.de/", text, 10, 40)
        assert all(url.startswith("http://x.de/") for url, _ in scan.links)
    assert scan_page("http://x.de/", "<a href='#top'>t</a><a href='mailto:a@b'>m</a>").links == []


def spider(**bounds: int) -> tuple[SiteSpider, Any]:
    """A site spider (no engine) with one started site: its first requests are made."""
    crawl = SiteSpider(seeds=[], max_pages=40, max_depth=3, **bounds)
    crawl._start_site("c1", "http://x.de/", 0)
    return crawl, crawl.states["c1"]


def test_links_beyond_the_site_cap_are_dropped_and_counted():
    crawl, state = spider(max_links_per_site=50)
    for i in range(500):
        crawl._offer(state, f"http://x.de/seite-{i}", 1)
    assert len(state.seen) == 50
    assert len(state.frontier) <= 50
    assert state.skipped["site link cap"] == 500 - 49  # the seed itself is the first seen link


def test_bodies_beyond_the_site_byte_cap_are_recorded_without_being_stored():
    from clusterradar.warehouse.crawls import PageSnapshot
    from clusterradar.warehouse.history import utcnow

    crawl, state = spider(max_bytes_per_site=10_000)
    stored = []
    for i in range(5):
        snap = PageSnapshot(f"s{i}", "c1", f"http://x.de/{i}", None, utcnow(), 200)
        crawl._store(state, snap, bytes([65 + i]) * 4_000)
        stored.append(snap)
    assert [s.body is not None for s in stored] == [True, True, False, False, False]
    assert state.stored_bytes == 8_000
    assert stored[2].content_hash is None and "site byte cap" in stored[2].note
    assert state.skipped["site byte cap"] == 3


def test_the_site_clock_starts_with_the_first_download_and_runs_out_after_the_budget():
    clock = site.SiteClock(5.0)
    assert clock.left(1000.0) == 5.0 and not clock.spent(1000.0)
    clock.start(100.0)
    clock.start(101.0)  # a later download does not restart it
    assert clock.left(103.0) == 2.0
    assert clock.spent(105.0)


def test_a_spent_budget_is_the_outcome_only_when_no_page_had_text():
    assert site.decide_outcome(3, 3, None, time_budget_spent=5.0) == ("ok", None)
    outcome, detail = site.decide_outcome(0, 1, None, time_budget_spent=5.0)
    assert outcome == "time_budget" and "5 s" in detail
    failure = site.SeedFailure("timeout", "slow")
    assert site.decide_outcome(0, 0, failure, time_budget_spent=5.0)[0] == "time_budget"
    assert site.decide_outcome(0, 0, failure) == ("timeout", "slow")


@pytest.mark.parametrize(
    "name, value",
    [
        ("CLUSTERRADAR_CRAWL_SITE_TIME_BUDGET", "0.5"),
        ("CLUSTERRADAR_CRAWL_MAX_LINKS_PER_PAGE", "0"),
        ("CLUSTERRADAR_CRAWL_MAX_LINKS_PER_SITE", "-3"),
        ("CLUSTERRADAR_CRAWL_MAX_BYTES_PER_SITE", "100"),
    ],
)
def test_a_bound_below_its_minimum_is_one_clear_error(name, value):
    with pytest.raises(ConfigError, match="out of range"):
        load_settings(environ={name: value})
