"""A site crawl stays bounded under hostile sites: real CLI, real Scrapy engine, loopback traps.

* A link trap (every page carries 100,000 links to new pages, 3.5 MB each) keeps the crawl
  child process under ``PEAK_RSS_BOUND_MB`` of peak resident memory. The peak is measured by the
  kernel: the CLI runs in a wrapper process whose only child is the crawl process, and
  ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is that child's high-water mark. Before the bounds
  the same crawl peaked at 843 MB (404 MB after five pages).
* Slow-loris sites (pages that trickle one byte every 0.2 s, under the default 20 s download
  timeout and 2 retries: about 20 minutes for 40 such pages) end when their time budget is
  spent, with an outcome row, within ``BUDGET_SLACK_S``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clusterradar.crawler.localweb import LocalWeb
from clusterradar.warehouse import migrate
from tests.test_crawler_sites import add_cluster, rows

pytestmark = pytest.mark.slow

PEAK_RSS_BOUND_MB = 300  # crawl child, link trap of 40 pages x 100k links (about 130 MB idle)
BUDGET_S = 5.0
BUDGET_SLACK_S = 2.0  # outcome written at most this long after the budget is spent

# The CLI in a wrapper that reports its children's peak RSS (the crawl process is the only one).
WRAPPER = (
    "import resource, sys\n"
    "from clusterradar.cli import main\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "    sys.stderr.write(f'\\nchild_peak_rss_kb={peak}\\n')\n"
)


def make_site(root: Path, name: str, files: dict[str, str]) -> Path:
    site_dir = root / name
    site_dir.mkdir()
    for path, content in files.items():
        (site_dir / path).write_text(content, encoding="utf-8")
    return site_dir


def crawl_cli(
    db: Path, timeout: float, **settings: str
) -> tuple[subprocess.CompletedProcess, float]:
    """`clusterradar crawl sites --allow-private` in the wrapper; (result, seconds)."""
    env = {
        **os.environ,
        "CLUSTERRADAR_DB": str(db),
        "CLUSTERRADAR_CRAWL_AUTOTHROTTLE": "false",
        **{f"CLUSTERRADAR_CRAWL_{k.upper()}": v for k, v in settings.items()},
    }
    command = [sys.executable, "-c", WRAPPER, "crawl", "sites", "--allow-private", "--no-progress"]
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - started


def test_a_link_trap_keeps_the_crawl_child_under_its_memory_bound(tmp_path):
    db = tmp_path / "w.duckdb"
    migrate(db)
    trap = make_site(
        tmp_path, "trap", {"_site.yaml": "routes:\n  - {path_prefix: /, links: 100000}\n"}
    )
    with LocalWeb({"trap": trap}) as web:
        add_cluster(db, "trap", web.url("trap") + "/")
        result, _ = crawl_cli(db, timeout=120)
    assert result.returncode == 0, result.stderr
    peak_mb = int(re.search(r"child_peak_rss_kb=(\d+)", result.stderr).group(1)) / 1024
    assert peak_mb < PEAK_RSS_BOUND_MB, f"crawl child peaked at {peak_mb:.0f} MB"

    ((outcome, pages, detail),) = rows(db, "SELECT outcome, pages, detail FROM site_outcomes")
    assert (outcome, pages, detail) == ("ok", 40, "page budget of 40 reached")
    (stats,) = rows(db, "SELECT stats FROM crawl_runs")[0]
    skipped = json.loads(stats)["skipped_links"]["trap"]
    assert skipped["page link cap"] >= 39 * 99_000  # read 1,000 of each page's 100,000 links
    assert skipped["site link cap"] > 0  # and kept 5,000 distinct links in all
    assert skipped["site byte cap"] > 0  # bodies beyond 16 MiB recorded, not stored
    ((stored,),) = rows(db, "SELECT sum(octet_length(body)) FROM page_bodies")
    assert 3_000_000 < stored <= 16 * 1024 * 1024


def test_slow_loris_sites_end_with_an_outcome_row_within_their_time_budget(tmp_path):
    db = tmp_path / "w.duckdb"
    migrate(db)
    text = "<h1>Netzwerk</h1><p>" + "Sicherheit und Forschung im Verbund. " * 5 + "</p>"
    links = "".join(f'<a href="/loris/{i}">Projekt {i}</a>' for i in range(40))
    sites = {
        # a readable home page, then forty pages that trickle
        "loris": make_site(
            tmp_path,
            "loris",
            {
                "index.html": text + links,
                "_site.yaml": "routes:\n  - {path_prefix: /loris/, trickle: 0.2}\n",
            },
        ),
        # every URL trickles, robots.txt and sitemap.xml included
        "drip": make_site(
            tmp_path, "drip", {"_site.yaml": "routes:\n  - {path_prefix: /, trickle: 0.2}\n"}
        ),
        "fast": make_site(tmp_path, "fast", {"index.html": text}),
    }
    with LocalWeb(sites) as web:
        for name in sites:
            add_cluster(db, name, web.url(name) + "/")
        # Without the budget this call takes about 20 minutes: the timeout makes that a failure.
        result, seconds = crawl_cli(db, timeout=90, site_time_budget=str(BUDGET_S))
    assert result.returncode == 0, result.stderr
    assert seconds < BUDGET_S + 15, seconds  # child start-up and shutdown included

    found = {
        r[0]: r[1:]
        for r in rows(db, "SELECT cluster_id, outcome, detail, finished_at FROM site_outcomes")
    }
    assert found["fast"][:2] == ("ok", None)
    assert found["loris"][0] == "ok"  # its home page is usable
    assert found["loris"][1].startswith(f"time budget of {BUDGET_S:g} s spent")
    assert found["drip"][0] == "time_budget"
    assert found["drip"][1].startswith(f"time budget of {BUDGET_S:g} s spent")

    # The loris site's clock starts with its first download, which the home page's own fetch
    # follows within a moment: its outcome is written within the budget plus the slack.
    ((home_fetched,),) = rows(
        db, "SELECT min(fetched_at) FROM page_snapshots WHERE cluster_id = 'loris'"
    )
    ended = (found["loris"][2] - home_fetched).total_seconds()
    assert ended <= BUDGET_S + BUDGET_SLACK_S, ended
    ((run_started, status),) = rows(db, "SELECT started_at, status FROM crawl_runs")
    assert status == "finished"
    assert (found["drip"][2] - run_started).total_seconds() <= BUDGET_S + 10
    # The trickling pages were cut, not recorded late: only the home page has a snapshot.
    assert rows(db, "SELECT count(*) FROM page_snapshots WHERE cluster_id = 'loris'") == [(1,)]
    stats = json.loads(rows(db, "SELECT stats FROM crawl_runs")[0][0])
    assert stats["skipped_links"]["loris"]["time_budget"] >= 38
