"""The crawl child process: ``python -m clusterradar.crawler.process JOB.json``.

Twisted's reactor cannot be restarted, so every crawl runs its Scrapy engine in a fresh process
(started by :mod:`clusterradar.crawler.runner`). Progress goes to stdout as JSON lines, Scrapy's
log to the run's log file. The last line is ``{"event": "done", ...}``. Exit code 0: the crawl
finished; 3 (:data:`EXIT_INTERRUPTED`): it received SIGINT/SIGTERM; 4 (:data:`EXIT_FAILED`): the
engine stopped for any other reason (e.g. ``start_error``), or a finished site could not be
written to the warehouse (finish reason ``warehouse_write_failed``, the sites listed in the
done line's ``write_failures``), which is a failure, not an interruption; 1: an uncaught
exception.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from clusterradar.crawler.settings import scrapy_settings
from clusterradar.settings import CrawlSettings
from clusterradar.warehouse.crawls import load_body, previous_snapshots, write_site
from clusterradar.warehouse.db import connect, transaction

EXIT_INTERRUPTED = 3
EXIT_FAILED = 4


def exit_code(finish_reason: str | None, signalled: bool) -> int:
    """Only a received shutdown signal makes a crawl "interrupted"; any finish reason other
    than ``finished`` without one (``start_error``, ``closespider_*``, ...) is a failure."""
    if signalled:
        return EXIT_INTERRUPTED
    return 0 if finish_reason == "finished" else EXIT_FAILED


def _signal_aware_process(settings: Any):
    """A CrawlerProcess that remembers whether SIGINT/SIGTERM arrived (Scrapy's own handlers
    then shut down gracefully, or at once on the second signal)."""
    from scrapy.crawler import CrawlerProcess

    class SignalAwareProcess(CrawlerProcess):
        signalled = False

        def _signal_shutdown(self, signum: int, frame: Any) -> None:
            self.signalled = True
            super()._signal_shutdown(signum, frame)

    return SignalAwareProcess(settings)


def run_job(job: dict[str, Any]) -> int:
    """Run one crawl job in this process's reactor; print the done line, return the exit code."""
    from clusterradar.crawler.spiders import RegistrySpider, emit

    crawl = CrawlSettings(**job["crawl"])
    db = Path(job["db"])
    timeout = float(job.get("lock_timeout", 30.0))
    process = _signal_aware_process(_job_scrapy_settings(job, crawl, db, timeout))
    if job["kind"] == "sites":
        crawler = _schedule_site_crawl(process, job, crawl, db, timeout)
    else:
        crawler = process.create_crawler(RegistrySpider)
        process.crawl(crawler, start_url=job["start_url"])
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if job["kind"] == "sites":
        reason, summary = _finish_site_crawl(crawler, reason, job["run_id"], db, timeout)
    else:
        summary = _registry_summary(crawler)
    signalled = bool(getattr(process, "signalled", False))
    emit({"event": "done", "reason": reason, "signalled": signalled, "summary": summary})
    return exit_code(reason, signalled)


def _job_scrapy_settings(job: dict[str, Any], crawl: CrawlSettings, db: Path, timeout: float):
    """Scrapy's settings for the job, with the warehouse file, run id and lock timeout the
    item pipelines read."""
    settings = scrapy_settings(
        crawl,
        allow_private=job["allow_private"],
        log_file=Path(job["log_file"]) if job.get("log_file") else None,
    )
    settings.update(
        {
            "CLUSTERRADAR_DB": str(db),
            "CLUSTERRADAR_RUN_ID": job["run_id"],
            "CLUSTERRADAR_LOCK_TIMEOUT": timeout,
        }
    )
    return settings


def _schedule_site_crawl(
    process: Any, job: dict[str, Any], crawl: CrawlSettings, db: Path, timeout: float
) -> Any:
    """Create the site spider's crawler with the previous snapshots and body readers it needs
    for conditional requests, and schedule it; returns the crawler."""
    from twisted.internet.defer import Deferred

    from clusterradar.crawler.spiders import SiteSpider

    seeds = [tuple(s) for s in job["seeds"]]
    with connect(db, read_only=True, timeout=timeout) as con:
        previous = previous_snapshots(con, [s[0] for s in seeds])

    def body_of(content_hash: str) -> bytes | None:  # only if read_bodies failed
        with connect(db, read_only=True, timeout=timeout) as con:
            return load_body(con, content_hash)

    crawler = process.create_crawler(SiteSpider)

    def read_bodies(content_hashes: list[str], link_limit: int) -> Deferred:
        """Stored scans of previous bodies by hash (the bodies that have none), read on the
        warehouse thread (two queries at most)."""
        from twisted.internet import reactor  # the one Scrapy installed

        deferred: Deferred = Deferred()

        def deliver(bodies: Any, error: BaseException | None) -> None:
            if error is None:
                reactor.callFromThread(deferred.callback, bodies)
            else:
                reactor.callFromThread(deferred.errback, error)

        crawler.clusterradar_writer.site_thread().read_bodies(content_hashes, link_limit, deliver)
        return deferred

    process.crawl(
        crawler,
        seeds=seeds,
        max_pages=crawl.max_pages,
        max_depth=crawl.max_depth,
        per_site_parallel=crawl.concurrent_per_domain,
        previous=previous,
        load_body=body_of,
        read_bodies=read_bodies,
        capture_pdf=crawl.capture_pdf,
        site_time_budget=crawl.site_time_budget,
        max_links_per_page=crawl.max_links_per_page,
        max_links_per_site=crawl.max_links_per_site,
        max_bytes_per_site=crawl.max_bytes_per_site,
        sitemap_trust_days=crawl.sitemap_trust_days,
    )
    return crawler


def _finish_site_crawl(
    crawler: Any, reason: str | None, run_id: str, db: Path, timeout: float
) -> tuple[str | None, dict[str, Any]]:
    """Write the outcome of every site the engine left unfinished, wait for the queued writes,
    and summarise; a failed write turns a finished crawl into ``warehouse_write_failed``."""
    from clusterradar.crawler.pipelines import WRITE_FAILED

    spider = crawler.spider
    summary: dict[str, Any] = {}
    writer = getattr(crawler, "clusterradar_writer", None)
    if reason == "finished":
        # Defensive: a site the engine finished without a result still gets its outcome.
        for state in spider.unfinished():
            state.done = True
            result = spider.result_of(state)
            if writer is not None:
                writer.write_site(result)
            else:
                with connect(db, timeout=timeout) as con, transaction(con):
                    write_site(con, run_id, result)
    failures = writer.close() if writer is not None else []  # every queued site written
    if failures:
        summary["write_failures"] = failures
        if reason == "finished":
            reason = WRITE_FAILED
    summary["skipped"] = {
        cid: dict(state.skipped) for cid, state in spider.states.items() if state.skipped
    }
    summary["body_reads"] = dict(spider.body_reads)
    summary["unchanged_scans"] = dict(spider.unchanged_scans)
    summary["not_requested"] = spider.not_requested
    return reason, summary


def _registry_summary(crawler: Any) -> dict[str, Any]:
    """The registry spider's counts, with the warehouse upsert's counts when it wrote."""
    summary = crawler.spider.summary()
    writer = getattr(crawler, "clusterradar_writer", None)
    if writer is not None:
        summary["upsert"] = dataclasses.asdict(writer.counts)
    return summary


def _stop_when_orphaned(interval: float = 1.0) -> None:
    """If the parent dies (SIGKILL), shut down gracefully instead of crawling on unobserved:
    the run must not be resumed by a new parent while this process still writes to it."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    _stop_when_orphaned()
    return run_job(job)


if __name__ == "__main__":
    raise SystemExit(main())
