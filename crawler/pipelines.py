"""Item pipeline: where crawl results go (the warehouse), off the reactor thread.

A finished site (:class:`SiteResult`) is handed to :class:`WarehouseThread`, which writes it
in one all-or-nothing transaction with the other sites waiting at that moment (bodies, link
scans, snapshots and outcomes as set-based inserts), so an interruption never leaves half a
site and the reactor never waits for DuckDB. The same thread reads what a recrawl needs (the
stored link scans, or else the previous bodies, of the next sites,
:meth:`WarehouseThread.read_bodies`). It keeps one unit of work of the warehouse open while
work keeps coming and ends it when it falls idle or another process waits for the file
(:func:`~clusterradar.warehouse.db.turn_is_over`), so the write lock is shared in turns
exactly as for every other job (docs/concurrency.md).

A write that fails is never lost silently: the site is retried alone, and if that fails too it
is listed in :attr:`WarehouseThread.failures`, the crawl is stopped with the finish reason
``warehouse_write_failed`` and the run ends ``failed``. Registry entries are upserted in
batches of ``REGISTRY_BATCH`` on the reactor thread (a few hundred rows in all).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.utils.defer import deferred_from_coro

from clusterradar.crawler.registry import RegistryEntry
from clusterradar.warehouse.crawls import SiteResult, load_carry_inputs, write_sites
from clusterradar.warehouse.db import connect, transaction, turn_is_over
from clusterradar.warehouse.registry import UpsertCounts, upsert_entries

REGISTRY_BATCH = 25
WRITE_FAILED = "warehouse_write_failed"  # finish reason of a crawl stopped by a failed write
MAX_QUEUED_SITES = 16  # finished sites waiting for their write (the reactor waits beyond)
MAX_QUEUED_BYTES = 32 * 1024 * 1024  # their bodies (each site holds at most max_bytes_per_site)
IDLE_RELEASE_SECONDS = 0.5  # an idle warehouse thread ends its unit of work after this long
IDLE_POLL_SECONDS = 0.05  # how often an idle thread asks whether another process waits

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Job:
    sites: list[SiteResult] = field(default_factory=list)
    bytes: int = 0
    read: list[str] | None = None  # content hashes to read, for a read job
    link_limit: int = 0  # the link cap of the scans to read
    deliver: Callable[[Any, BaseException | None], None] | None = None
    stop: bool = False


def _body_bytes(result: SiteResult) -> int:
    return sum(len(s.body) for s in result.snapshots if s.body is not None)


class WarehouseThread:
    """The crawl process's one warehouse worker: writes finished sites, reads what a recrawl's
    unchanged pages need (stored scans, previous bodies).

    ``submit_site`` may block the caller while :data:`MAX_QUEUED_SITES` sites or
    :data:`MAX_QUEUED_BYTES` of bodies wait (back-pressure bounds the memory). ``on_site``
    runs on this thread after a site's transaction committed; ``on_failure`` once, on this
    thread, after the first site that could not be written.
    """

    def __init__(
        self,
        db: Path,
        run_id: str,
        lock_timeout: float,
        *,
        on_site: Callable[[SiteResult], None] | None = None,
        on_failure: Callable[[str], None] | None = None,
    ):
        self.db = db
        self.run_id = run_id
        self.lock_timeout = lock_timeout
        self.on_site = on_site
        self.on_failure = on_failure
        self.failures: list[str] = []
        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self.room = threading.Condition()
        self.queued_sites = 0
        self.queued_bytes = 0
        self.thread = threading.Thread(target=self._work, name="warehouse-writer", daemon=True)
        self.thread.start()

    # -- called from other threads -------------------------------------------------------
    def submit_site(self, result: SiteResult) -> None:
        size = _body_bytes(result)
        with self.room:
            while self.queued_sites and (
                self.queued_sites >= MAX_QUEUED_SITES or self.queued_bytes + size > MAX_QUEUED_BYTES
            ):
                self.room.wait()
            self.queued_sites += 1
            self.queued_bytes += size
        self.jobs.put(_Job(sites=[result], bytes=size))

    def read_bodies(
        self,
        content_hashes: list[str],
        link_limit: int,
        deliver: Callable[[Any, BaseException | None], None],
    ) -> None:
        """Read the stored scans of these bodies (with this link cap) and the bodies that have
        none (:class:`CarryInputs`); ``deliver(inputs, error)`` is called on this thread."""
        self.jobs.put(_Job(read=content_hashes, link_limit=link_limit, deliver=deliver))

    def close(self) -> list[str]:
        """Write everything queued, end the unit of work, stop; returns the failures."""
        if self.thread.is_alive():
            self.jobs.put(_Job(stop=True))
            self.thread.join()
        return self.failures

    # -- the worker ----------------------------------------------------------------------
    def _work(self) -> None:
        unit: contextlib.ExitStack | None = None
        con = None
        idle_since: float | None = None
        try:
            while True:
                try:
                    job = self.jobs.get(timeout=IDLE_POLL_SECONDS if unit else None)
                except queue.Empty:
                    idle_since = idle_since or time.monotonic()
                    idle = time.monotonic() - idle_since
                    if idle >= IDLE_RELEASE_SECONDS or turn_is_over(self.db):
                        unit, con = self._release(unit), None
                    continue
                idle_since = None
                batch = [job]
                while not job.stop:  # take what else waits: one transaction for all its sites
                    try:
                        job = self.jobs.get_nowait()
                    except queue.Empty:
                        break
                    batch.append(job)
                if unit is not None and turn_is_over(self.db):
                    unit, con = self._release(unit), None
                if unit is None and any(j.sites or j.read is not None for j in batch):
                    unit, con = self._open()
                self._run(con, batch)
                if batch[-1].stop:
                    return
        finally:
            self._release(unit)

    def _open(self) -> tuple[contextlib.ExitStack | None, Any]:
        unit = contextlib.ExitStack()
        try:
            con = unit.enter_context(connect(self.db, timeout=self.lock_timeout))
        except Exception as exc:  # locked for too long, file gone: each job reports it
            unit.close()
            logger.error("cannot open the warehouse: %s", exc)
            return None, exc
        return unit, con

    @staticmethod
    def _release(unit: contextlib.ExitStack | None) -> None:
        if unit is not None:
            unit.close()

    def _run(self, con: Any, batch: list[_Job]) -> None:
        for job in batch:
            if job.read is not None and job.deliver is not None:
                try:
                    if isinstance(con, Exception):
                        raise con
                    job.deliver(load_carry_inputs(con, job.read, job.link_limit), None)
                except Exception as exc:
                    job.deliver(None, exc)
        sites = [site for job in batch for site in job.sites]
        if sites:
            try:
                self._write(con, sites)
            finally:
                with self.room:
                    self.queued_sites -= len(sites)
                    self.queued_bytes -= sum(job.bytes for job in batch)
                    self.room.notify_all()

    def _write(self, con: Any, sites: list[SiteResult]) -> None:
        """All sites in one transaction; if that fails, each site alone, so one bad site
        costs only itself; a site that still fails is recorded as a failure."""
        try:
            if isinstance(con, Exception):
                raise con
            with transaction(con):
                write_sites(con, self.run_id, sites)
            done = sites
        except Exception as exc:
            if len(sites) == 1 or isinstance(con, Exception):
                self._failed(sites, exc)
                return
            done = []
            for site in sites:
                try:
                    with transaction(con):
                        write_sites(con, self.run_id, [site])
                    done.append(site)
                except Exception as single:
                    self._failed([site], single)
        for site in done:
            for snapshot in site.snapshots:
                snapshot.body = None  # written; free the memory
            site.scans = []
            if self.on_site is not None:
                self.on_site(site)

    def _failed(self, sites: list[SiteResult], exc: BaseException) -> None:
        first = not self.failures
        for site in sites:
            text = f"{site.cluster_id}: {type(exc).__name__}: {exc}"
            self.failures.append(text.splitlines()[0][:300])
            logger.error("site %s not written: %s", site.cluster_id, exc)
        if first and self.on_failure is not None:
            self.on_failure(self.failures[0])


class WarehouseWriter:
    """Writes SiteResult and RegistryEntry items of one crawl run."""

    def __init__(self, db: Path, run_id: str, lock_timeout: float, crawler: Any = None):
        self.db = db
        self.run_id = run_id
        self.lock_timeout = lock_timeout
        self.crawler = crawler
        self.pending_entries: list[RegistryEntry] = []
        self.counts = UpsertCounts()
        self.sites: WarehouseThread | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        writer = cls(
            Path(settings.get("CLUSTERRADAR_DB")),
            settings.get("CLUSTERRADAR_RUN_ID"),
            settings.getfloat("CLUSTERRADAR_LOCK_TIMEOUT", 30.0),
            crawler,
        )
        crawler.clusterradar_writer = writer
        return writer

    def site_thread(self) -> WarehouseThread:
        """The warehouse thread of this run (started on first use)."""
        if self.sites is None:
            self.sites = WarehouseThread(
                self.db,
                self.run_id,
                self.lock_timeout,
                on_site=_report_site,
                on_failure=self._stop_crawl,
            )
        return self.sites

    def _stop_crawl(self, failure: str) -> None:
        """A site could not be written: stop the crawl (the run ends 'failed')."""
        crawler = self.crawler
        if crawler is None or getattr(crawler, "engine", None) is None:
            return
        from twisted.internet import reactor

        def stop() -> None:
            if crawler.engine is not None and crawler.engine.running:
                deferred_from_coro(crawler.engine.close_spider_async(reason=WRITE_FAILED))

        reactor.callFromThread(stop)

    def process_item(self, item: Any, spider=None) -> Any:
        if isinstance(item, SiteResult):
            self.write_site(item)
        elif isinstance(item, RegistryEntry):
            self.pending_entries.append(item)
            if len(self.pending_entries) >= REGISTRY_BATCH:
                self.flush_entries()
        return item

    def write_site(self, result: SiteResult) -> None:
        """Queue a finished site for the warehouse thread (written in one transaction)."""
        self.site_thread().submit_site(result)

    def close(self) -> list[str]:
        """Wait until every queued site is written; the sites that could not be."""
        return self.sites.close() if self.sites is not None else []

    def flush_entries(self) -> None:
        if not self.pending_entries:
            return
        with connect(self.db, timeout=self.lock_timeout) as con, transaction(con):
            self.counts.add(upsert_entries(con, self.run_id, self.pending_entries))
        self.pending_entries = []

    def close_spider(self, spider=None) -> None:
        self.flush_entries()


def _report_site(result: SiteResult) -> None:
    from clusterradar.crawler.spiders import emit

    emit(
        {
            "event": "site",
            "cluster_id": result.cluster_id,
            "outcome": result.outcome,
            "pages": result.pages,
            "detail": result.detail,
        }
    )
