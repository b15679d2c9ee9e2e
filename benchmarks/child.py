"""The benchmark's measured work, run in a fresh process: ``python -m benchmarks.child JOB``.

A fresh process per measurement, so model loading, imports and the crawl child are counted
the same way for every compared run, and the parent can take the peak RSS of the whole
process tree (:mod:`benchmarks.proctree`). JOB is a JSON file; the result is one JSON line on
stdout. Only the public entry points that the CLI uses are called: ``run_quarter``
(``clusterradar run``), ``crawl_sites`` (``crawl sites``) and ``process_pending``
(``pipeline``), so the benchmark measures whatever those stages ship.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from clusterradar.settings import Settings


def bench_settings(db: Path | str, portal_url: str, pages: int) -> Settings:
    """Our crawler with politeness off for loopback (no throttling, no retries), the same
    concurrency the bare Scrapy spider gets, and a page budget that covers every site."""
    settings = Settings(db=Path(db))
    crawl = settings.crawl
    crawl.registry_start_url = portal_url
    crawl.allow_private = True
    crawl.max_pages = pages + 2  # the pages, the imprint, one to spare
    crawl.max_depth = 2
    crawl.download_timeout = 20.0
    crawl.retry_times = 0
    crawl.autothrottle = False
    crawl.concurrent_requests = 16
    crawl.concurrent_per_domain = 8
    crawl.site_time_budget = 3600.0
    settings.lock_timeout = 120.0
    return settings


def _settings(job: dict[str, Any]) -> Settings:
    return bench_settings(job["db"], job["portal_url"], int(job["pages"]))


def run_quarter_job(job: dict[str, Any]) -> dict[str, Any]:
    """One quarter end to end, as ``clusterradar run --allow-private`` does it."""
    from clusterradar.quarterly.run import run_quarter

    started = time.perf_counter()
    result = run_quarter(
        _settings(job),
        job["quarter"],
        allow_private=True,
        registry_listed_only=True,
        progress=False,
    )
    wall = time.perf_counter() - started
    stages = [
        {"stage": s.stage, "status": s.status, "seconds": round(s.seconds, 3), "stats": s.stats}
        for s in result.stages
    ]
    return {"wall_s": round(wall, 3), "stages": stages}


def run_probe_job(job: dict[str, Any]) -> dict[str, Any]:
    """Crawl and process the probe sites only (``crawl sites -c ...`` then ``pipeline``)."""
    from clusterradar.crawler.runner import crawl_sites
    from clusterradar.pipeline.run import process_pending

    settings = _settings(job)
    ids = list(job["cluster_ids"])
    started = time.perf_counter()
    crawled = crawl_sites(
        settings, cluster_ids=ids, allow_private=True, quarter=job["quarter"], progress=False
    )
    crawl_s = time.perf_counter() - started
    started = time.perf_counter()
    processed = process_pending(settings, cluster_ids=ids, progress=False)
    pipeline_s = time.perf_counter() - started
    return {
        "crawl_s": round(crawl_s, 3),
        "pipeline_s": round(pipeline_s, 3),
        "pages": crawled.pages,
        "pipeline_seconds": dict(getattr(processed, "seconds", {}) or {}),
    }


JOBS = {"quarter": run_quarter_job, "probe": run_probe_job}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    result = JOBS[job["kind"]](job)
    print(json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
