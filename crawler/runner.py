"""Plain functions that run a crawl: callable many times in one Python process.

Each call records a ``crawl_runs`` row, starts the Scrapy engine in a child process
(:mod:`clusterradar.crawler.process`; the Twisted reactor cannot restart), forwards SIGINT and
SIGTERM to it (escalating to a forced stop and SIGKILL when the child does not stop: see
:class:`_Stopper`), shows progress from the child's JSON lines, and closes the run. A run ends
``interrupted`` only when a stop signal was received; any other early end is ``failed``. An
interrupted site crawl is continued by the next call that asks for the same thing (same run id;
sites with an outcome are skipped).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clusterradar.errors import CrawlError, InputError
from clusterradar.quarters import normalise_quarter
from clusterradar.settings import Settings
from clusterradar.warehouse.crawls import (
    SiteResult,
    claim_run,
    finish_run,
    resumable_run,
    run_summary,
    site_seeds,
    sites_done,
    start_run,
    write_site,
)
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.registry import mark_missing


@dataclass(slots=True)
class SiteCrawlResult:
    """What a ``crawl sites`` call did (counts cover the whole run, resumed parts included)."""

    crawl_run_id: str
    resumed: bool
    outcomes: dict[str, int]
    pages: int
    unchanged: int
    new_bodies: int
    errors: int
    log_file: str | None = None  # str, so the result serialises to JSON as is
    not_requested: int = 0  # unchanged pages recorded on the sitemap's <lastmod>, no request


@dataclass(slots=True)
class RegistryCrawlResult:
    """What a ``crawl registry`` call found and changed."""

    crawl_run_id: str
    entries: int
    parse_failures: list[str]
    reported_total: int | None
    new: int
    updated: int
    matched_paper: int
    missing: list[str] = field(default_factory=list)
    complete: bool = False
    log_file: str | None = None  # str, so the result serialises to JSON as is


@dataclass(slots=True)
class _ChildResult:
    returncode: int
    interrupted: bool  # a stop signal was received (by us, or by the child itself: exit 3)
    done: dict[str, Any] | None
    counts: Counter

    def failure(self) -> str:
        """One line saying why the child ended early (for CrawlError)."""
        reason = (self.done or {}).get("reason")
        unwritten = (self.done or {}).get("summary", {}).get("write_failures") or []
        if unwritten:
            return (
                f"{len(unwritten)} site(s) could not be written to the warehouse "
                f"(first: {unwritten[0]})"
            )
        if reason:
            return f"the crawl engine stopped early (finish reason {reason!r})"
        if self.returncode < 0:
            return f"the crawl process was killed (signal {-self.returncode})"
        return f"the crawl process failed (exit code {self.returncode})"


EXIT_INTERRUPTED = 3  # clusterradar.crawler.process.EXIT_INTERRUPTED (not imported: no Scrapy)
STOP_GRACE_SECONDS = 20.0  # after the first stop signal: time for Scrapy's graceful shutdown
KILL_GRACE_SECONDS = 5.0  # after the forced stop: time before SIGKILL


class _Stopper:
    """Stops the crawl child on SIGINT/SIGTERM, escalating when it does not stop.

    1st signal: forwarded (Scrapy finishes the pages in flight). 2nd signal, or no exit within
    ``grace`` seconds: SIGTERM again (Scrapy stops at once). 3rd signal, or still alive after
    ``kill_grace`` more seconds: SIGKILL. Rows already committed stay; a site is written in one
    transaction, so a killed child leaves no half site.
    """

    def __init__(self, proc: subprocess.Popen, grace: float, kill_grace: float):
        self.proc = proc
        self.grace = grace
        self.kill_grace = kill_grace
        self.step = 0
        self.lock = threading.RLock()
        self.timer: threading.Timer | None = None

    @property
    def requested(self) -> bool:
        return self.step > 0

    def on_signal(self, signum: int, _frame: Any = None) -> None:
        self.escalate(signum)

    def escalate(self, signum: int = signal.SIGTERM) -> None:
        with self.lock:
            if self.proc.poll() is not None:
                self.step = max(self.step, 1)
                return
            self.step += 1
            if self.timer is not None:
                self.timer.cancel()
            if self.step == 1:
                self.proc.send_signal(signum)
                self._say(
                    f"stopping: finishing the pages in flight (up to {self.grace:g} s; "
                    "Ctrl-C again to stop at once)"
                )
                self._arm(self.grace)
            elif self.step == 2:
                self.proc.send_signal(signal.SIGTERM)
                self._say("stopping now")
                self._arm(self.kill_grace)
            else:
                self.proc.kill()
                self._say("crawl process killed")

    def _arm(self, seconds: float) -> None:
        self.timer = threading.Timer(seconds, self.escalate)
        self.timer.daemon = True
        self.timer.start()

    @staticmethod
    def _say(text: str) -> None:
        # os.write, not print/rich: this may run inside a signal handler.
        with contextlib.suppress(OSError):
            os.write(2, f"\n{text}\n".encode())

    def cancel(self) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()


def _state_dir(db: Path) -> Path:
    """Private folder next to the warehouse for logs and job files."""
    path = Path(db).resolve().parent / ".clusterradar"
    (path / "logs").mkdir(parents=True, exist_ok=True)
    return path


def _run_child(job: dict[str, Any], *, total: int, progress: bool, label: str) -> _ChildResult:
    """Run the crawl process; forward signals; feed the progress display from its lines."""

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(job, handle)
        job_path = handle.name
    counts: Counter = Counter()
    done: dict[str, Any] | None = None
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "clusterradar.crawler.process", job_path],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        env=env,
        start_new_session=True,  # a terminal Ctrl-C reaches only us; _Stopper forwards/escalates
    )

    stopper = _Stopper(proc, STOP_GRACE_SECONDS, KILL_GRACE_SECONDS)
    handlers: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            handlers[sig] = signal.signal(sig, stopper.on_signal)
    display = Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "{task.fields[pages]} pages, {task.fields[errors]} page errors, "
            "{task.fields[failed]} sites not ok"
        ),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not progress,
        transient=False,
    )
    try:
        with display:
            task = display.add_task(label, total=total or None, pages=0, errors=0, failed=0)
            assert proc.stdout is not None
            for line in proc.stdout:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue
                kind = event.get("event")
                counts[kind] += 1
                if kind == "page":
                    status = event.get("status")
                    if status is None or status >= 400:
                        counts["errors"] += 1
                elif kind == "site":
                    counts[f"outcome:{event.get('outcome')}"] += 1
                    counts["failed"] += event.get("outcome") != "ok"
                    display.advance(task)
                elif kind == "entry":
                    display.advance(task)
                elif kind == "done":
                    done = event
                display.update(
                    task, pages=counts["page"], errors=counts["errors"], failed=counts["failed"]
                )
            returncode = proc.wait()
    finally:
        stopper.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        Path(job_path).unlink(missing_ok=True)
    interrupted = stopper.requested or returncode == EXIT_INTERRUPTED
    return _ChildResult(returncode, interrupted, done, counts)


def _job(
    settings: Settings, kind: str, run_id: str, allow_private: bool, log_file: Path
) -> dict[str, Any]:
    return {
        "kind": kind,
        "db": str(Path(settings.db).resolve()),
        "run_id": run_id,
        "lock_timeout": settings.lock_timeout,
        "crawl": dataclasses.asdict(settings.crawl),
        "allow_private": allow_private,
        "log_file": str(log_file),
    }


# Crawl settings that change WHAT a site crawl fetches: a run is resumed only when they match.
_REQUEST_SETTINGS = (
    "max_pages",
    "max_depth",
    "capture_pdf",
    "obey_robots",
    "download_maxsize",
    "max_links_per_page",
    "max_links_per_site",
    "max_bytes_per_site",
)


def request_hash(kind: str, cluster_ids: list[str] | None, crawl: Any, allow_private: bool) -> str:
    """Fingerprint of what a crawl asks for: kind, cluster selection, page budget and the
    settings that change what is fetched (not politeness such as timeouts or throttling)."""
    asked = {
        "kind": kind,
        "clusters": sorted(set(cluster_ids)) if cluster_ids else None,
        "allow_private": allow_private,
        **{name: getattr(crawl, name) for name in _REQUEST_SETTINGS},
    }
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()[:16]


def _checked_quarter(quarter: str | None) -> str | None:
    return normalise_quarter(quarter)  # InputError (one line) for 2026Q7 or 'bogus'


def _say(text: str) -> None:
    Console(stderr=True).print(text, highlight=False)


def crawl_sites(
    settings: Settings,
    *,
    cluster_ids: list[str] | None = None,
    max_pages: int | None = None,
    allow_private: bool = False,
    quarter: str | None = None,
    progress: bool = True,
    revalidate_all: bool = False,
) -> SiteCrawlResult:
    """Crawl the websites of all (or the named) clusters; continue an interrupted run.

    ``revalidate_all`` ignores the sitemaps' ``<lastmod>`` dates for this run
    (``crawl.sitemap_trust_days`` 0): every page is asked again, conditionally.

    Every site ends with a ``site_outcomes`` row (clusters without a website get
    ``no_website``). An unfinished run of the same quarter is continued only when it asked for
    the same clusters and settings (:func:`request_hash`); otherwise it is marked ``abandoned``
    and a new run starts. Raises KeyboardInterrupt after an interruption by a signal (the run
    stays resumable), CrawlError when the crawl process fails for any other reason.
    """
    quarter = _checked_quarter(quarter)
    crawl = _crawl_settings_with_max_pages(settings, max_pages)
    if revalidate_all:
        crawl.sitemap_trust_days = 0
    allow = allow_private or crawl.allow_private
    run_settings = dataclasses.replace(settings, crawl=crawl)
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        plan = _plan_site_run(con, crawl, cluster_ids, quarter, allow)
    run_id = plan.run_id
    for old in plan.decision.abandoned:
        _say(f"abandoned unfinished run {old}: it asked for other clusters or settings")
    if plan.resumed:
        started = plan.decision.started_at
        when = f"{started:%Y-%m-%d %H:%M:%S} UTC" if started else "?"
        _say(f"resuming run {run_id} started {when} ({plan.done} sites already done)")
    log_file = _state_dir(settings.db) / "logs" / f"{run_id}.log"
    child: _ChildResult | None = None
    if plan.to_crawl:
        job = _job(run_settings, "sites", run_id, allow, log_file)
        job["seeds"] = plan.to_crawl
        child = _run_child(job, total=len(plan.to_crawl), progress=progress, label="sites")
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        status, summary = _finish_site_run(con, run_id, child)
    if status == "interrupted":
        raise KeyboardInterrupt
    if status == "failed":
        assert child is not None
        raise CrawlError(f"site crawl {run_id} failed: {child.failure()}; see {log_file}")
    return SiteCrawlResult(
        crawl_run_id=run_id,
        resumed=plan.resumed,
        outcomes=summary["outcomes"],
        pages=summary["pages"],
        unchanged=summary["unchanged"],
        new_bodies=summary["new_bodies"],
        errors=summary["page_errors"],
        log_file=str(log_file) if plan.to_crawl else None,
        not_requested=summary["not_requested"],
    )


def _crawl_settings_with_max_pages(settings: Settings, max_pages: int | None) -> Any:
    """A copy of the crawl settings with ``--max-pages`` applied (CrawlError below 1)."""
    crawl = dataclasses.replace(settings.crawl)
    if max_pages is not None:
        if max_pages < 1:
            raise CrawlError("--max-pages must be at least 1")
        crawl.max_pages = max_pages
    return crawl


@dataclass(slots=True)
class _SiteRunPlan:
    """Which run a site crawl writes to and which sites it still has to fetch."""

    run_id: str
    resumed: bool
    decision: Any  # the warehouse's resumable_run answer (abandoned runs, start time)
    done: int  # sites the resumed run had already finished
    to_crawl: list[tuple[str, str]]


def _plan_site_run(
    con: Any,
    crawl: Any,
    cluster_ids: list[str] | None,
    quarter: str | None,
    allow: bool,
) -> _SiteRunPlan:
    """Continue the matching unfinished run or start one; record ``no_website`` for sites
    without a website, and return the (cluster id, website) pairs left to crawl."""
    asked = request_hash("sites", cluster_ids, crawl, allow)
    seeds = site_seeds(con, cluster_ids)
    if not seeds:
        raise CrawlError(
            "no initiatives in the warehouse; run 'clusterradar init', 'crawl registry' "
            "or 'clusters add' first"
        )
    decision = resumable_run(con, "sites", quarter, asked)
    run_id = decision.run_id
    resumed = run_id is not None
    if run_id is None:
        snapshot = {
            **dataclasses.asdict(crawl),
            "allow_private": allow,
            "clusters": cluster_ids,
            "request_hash": asked,
        }
        run_id = start_run(con, "sites", quarter=quarter, settings=snapshot)
    else:
        claim_run(con, run_id)
    done = sites_done(con, run_id)
    todo = [(cid, website) for cid, website in seeds if cid not in done]
    for cid, website in todo:
        if not (website or "").strip():
            write_site(con, run_id, SiteResult(cid, None, "no_website", "no website known"))
    to_crawl = [(cid, website.strip()) for cid, website in todo if (website or "").strip()]
    return _SiteRunPlan(run_id, resumed, decision, len(done), to_crawl)


def _finish_site_run(
    con: Any, run_id: str, child: _ChildResult | None
) -> tuple[str, dict[str, Any]]:
    """Close the run as finished, interrupted or failed, with its summary; returns both."""
    summary = run_summary(con, run_id)
    if child is not None and child.done:
        summary["skipped_links"] = child.done.get("summary", {}).get("skipped", {})
        # Warehouse reads of previous bodies (a recrawl): one query per few sites.
        summary["body_reads"] = child.done.get("summary", {}).get("body_reads", {})
        # Unchanged pages that replayed a stored link scan / were scanned from their body.
        summary["unchanged_scans"] = child.done.get("summary", {}).get("unchanged_scans", {})
    if child is None or (child.returncode == 0 and not child.interrupted):
        status = "finished"
    elif child.interrupted:
        status = "interrupted"
    else:
        status = "failed"
    if child is not None and status == "failed":
        summary["failure"] = child.failure()
    finish_run(con, run_id, status, summary)
    return status, summary


def check_start_url(url: str) -> str:
    """The registry start URL, stripped, if it is http(s) with a host; InputError otherwise."""
    from clusterradar.crawler.site import usable_website

    cleaned = (url or "").strip()
    if not usable_website(cleaned):
        raise InputError(
            f"--start-url {url!r} is not an http(s) URL with a host, "
            "like https://www.clusterplattform.de/"
        )
    return cleaned


def crawl_registry(
    settings: Settings,
    *,
    start_url: str | None = None,
    quarter: str | None = None,
    allow_private: bool = False,
    progress: bool = True,
) -> RegistryCrawlResult:
    """Crawl the Clusterplattform: upsert every initiative, append sightings, mark missing ones.

    Entries missing from a COMPLETE run (finished, no parse failures, at least as many entries
    as the portal's "N Treffer") get ``missing_since``. The start URL is checked before a run is
    recorded (InputError). Raises KeyboardInterrupt after a stop signal, CrawlError when the
    crawl fails or parses no initiative (one line: why, and the log file).
    """
    quarter = _checked_quarter(quarter)
    url = check_start_url(start_url or settings.crawl.registry_start_url)
    allow = allow_private or settings.crawl.allow_private
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        snapshot = {**dataclasses.asdict(settings.crawl), "start_url": url, "allow_private": allow}
        run_id = start_run(con, "registry", quarter=quarter, settings=snapshot)
    log_file = _state_dir(settings.db) / "logs" / f"{run_id}.log"
    job = _job(settings, "registry", run_id, allow, log_file)
    job["start_url"] = url
    child = _run_child(job, total=0, progress=progress, label="registry")
    counts = _RegistryCounts.of(child)
    entries, failures, reported = counts.entries, counts.failures, counts.reported
    finished = child.returncode == 0 and not child.interrupted
    # Missing-marking needs a trustworthy full list: no failure, and no fewer entries than the
    # portal's own hit count (fewer means paging or selectors silently lost some).
    complete = (
        finished and entries > 0 and not failures and (reported is None or entries >= int(reported))
    )
    missing: list[str] = []
    if finished:
        status = "finished" if entries > 0 else "failed"
    else:
        status = "interrupted" if child.interrupted else "failed"
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        if complete:
            missing = mark_missing(con, run_id)
        stats = counts.run_stats(missing=len(missing), complete=complete)
        if not finished and not child.interrupted:
            stats["failure"] = child.failure()
        finish_run(con, run_id, status, stats)
    if status == "interrupted":
        raise KeyboardInterrupt
    if not finished:
        raise CrawlError(
            f"registry crawl {run_id} failed after {entries} initiative(s): {child.failure()}; "
            f"see {log_file}"
        )
    if entries == 0:
        raise _no_initiatives_error(url, failures, counts.pages_fetched, log_file)
    upsert = counts.upsert
    return RegistryCrawlResult(
        crawl_run_id=run_id,
        entries=entries,
        parse_failures=failures,
        reported_total=reported,
        new=len(upsert["new"]),
        updated=len(upsert["updated"]),
        matched_paper=len(upsert["matched_paper"]),
        missing=missing,
        complete=complete,
        log_file=str(log_file),
    )


@dataclass(slots=True)
class _RegistryCounts:
    """What the registry crawl's child process reported in its done line."""

    upsert: dict[str, list[str]]
    failures: list[str]
    entries: int
    pages_fetched: int
    reported: Any  # the portal's own "N Treffer", None when the page did not say

    @classmethod
    def of(cls, child: _ChildResult) -> _RegistryCounts:
        summary = (child.done or {}).get("summary", {})
        failures = list(summary.get("failures", []))
        if summary.get("start_failure"):
            failures.insert(0, summary["start_failure"])
        return cls(
            upsert=summary.get("upsert", {"new": [], "updated": [], "matched_paper": []}),
            failures=failures,
            entries=int(summary.get("entries", 0)),
            pages_fetched=int(summary.get("pages_fetched", 0)),
            reported=summary.get("reported_total"),
        )

    def run_stats(self, *, missing: int, complete: bool) -> dict[str, Any]:
        """The crawl run's summary row."""
        return {
            "entries": self.entries,
            "reported_total": self.reported,
            "parse_failures": len(self.failures),
            "pages_fetched": self.pages_fetched,
            "new": len(self.upsert["new"]),
            "updated": len(self.upsert["updated"]),
            "matched_paper": len(self.upsert["matched_paper"]),
            "missing": missing,
            "complete": complete,
        }


def _no_initiatives_error(
    url: str, failures: list[str], pages_fetched: int, log_file: Path
) -> CrawlError:
    """Why a registry crawl that ran found nothing: no page fetched, or none parsed."""
    detail = "; ".join(failures[:3]) or "no hit list entries found"
    if pages_fetched == 0:
        return CrawlError(f"registry crawl fetched no page from {url} ({detail}); see {log_file}")
    return CrawlError(
        f"registry crawl found no initiatives at {url} ({len(failures)} problem(s): {detail}); "
        f"{pages_fetched} page(s) were fetched but none parsed, so the layout may have "
        f"changed: see crawler/selectors.py and {log_file}"
    )
