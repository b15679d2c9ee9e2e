"""Plain functions that run a crawl: callable many times in one Python process.

Each call records a ``crawl_runs`` row, starts the Scrapy engine in a child process
(:mod:`clusterradar.crawler.process`; the Twisted reactor cannot restart), forwards SIGINT and
SIGTERM to it, shows progress from the child's JSON lines, and closes the run. An interrupted
site crawl is continued by the next call (same run id; sites with an outcome are skipped).
"""

from __future__ import annotations

import dataclasses
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

from clusterradar.errors import CrawlError
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
    interrupted: bool
    done: dict[str, Any] | None
    counts: Counter


def _state_dir(db: Path) -> Path:
    """Private folder next to the warehouse for logs and job files."""
    path = Path(db).resolve().parent / ".clusterradar"
    (path / "logs").mkdir(parents=True, exist_ok=True)
    return path


def _run_child(job: dict[str, Any], *, total: int, progress: bool, label: str) -> _ChildResult:
    """Run the crawl process; forward signals; feed the progress display from its lines."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(job, handle)
        job_path = handle.name
    counts: Counter = Counter()
    done: dict[str, Any] | None = None
    interrupted = False
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "clusterradar.crawler.process", job_path],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        env=env,
        start_new_session=True,  # a terminal Ctrl-C reaches us once; we forward it once
    )

    def forward(signum: int, _frame: Any) -> None:
        nonlocal interrupted
        interrupted = True
        if proc.poll() is None:
            proc.send_signal(signum)

    handlers: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            handlers[sig] = signal.signal(sig, forward)
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
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        Path(job_path).unlink(missing_ok=True)
    return _ChildResult(returncode, interrupted or returncode < 0 or returncode == 3, done, counts)


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


def crawl_sites(
    settings: Settings,
    *,
    cluster_ids: list[str] | None = None,
    max_pages: int | None = None,
    allow_private: bool = False,
    quarter: str | None = None,
    progress: bool = True,
) -> SiteCrawlResult:
    """Crawl the websites of all (or the named) clusters; continue an interrupted run.

    Every site ends with a ``site_outcomes`` row (clusters without a website get
    ``no_website``). Raises KeyboardInterrupt after an interruption (the run stays resumable),
    CrawlError when the crawl process fails.
    """
    crawl = dataclasses.replace(settings.crawl)
    if max_pages is not None:
        if max_pages < 1:
            raise CrawlError("--max-pages must be at least 1")
        crawl.max_pages = max_pages
    allow = allow_private or crawl.allow_private
    run_settings = dataclasses.replace(settings, crawl=crawl)
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        seeds = site_seeds(con, cluster_ids)
        if not seeds:
            raise CrawlError(
                "no initiatives in the warehouse; run 'clusterradar init', 'crawl registry' "
                "or 'clusters add' first"
            )
        run_id = resumable_run(con, "sites", quarter)
        resumed = run_id is not None
        if run_id is None:
            snapshot = {
                **dataclasses.asdict(crawl),
                "allow_private": allow,
                "clusters": cluster_ids,
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
    log_file = _state_dir(settings.db) / "logs" / f"{run_id}.log"
    child: _ChildResult | None = None
    if to_crawl:
        job = _job(run_settings, "sites", run_id, allow, log_file)
        job["seeds"] = to_crawl
        child = _run_child(job, total=len(to_crawl), progress=progress, label="sites")
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        summary = run_summary(con, run_id)
        if child is not None and child.done:
            summary["skipped_links"] = child.done.get("summary", {}).get("skipped", {})
        if child is None or child.returncode == 0:
            status = "finished"
        elif child.interrupted:
            status = "interrupted"
        else:
            status = "failed"
        finish_run(con, run_id, status, summary)
    if status == "interrupted":
        raise KeyboardInterrupt
    if status == "failed":
        raise CrawlError(f"the crawl process failed (exit code {child.returncode}); see {log_file}")
    return SiteCrawlResult(
        crawl_run_id=run_id,
        resumed=resumed,
        outcomes=summary["outcomes"],
        pages=summary["pages"],
        unchanged=summary["unchanged"],
        new_bodies=summary["new_bodies"],
        errors=summary["page_errors"],
        log_file=str(log_file) if to_crawl else None,
    )


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
    as the portal's "N Treffer") get ``missing_since``.
    Raises CrawlError when no initiative could be parsed (the layout may have changed).
    """
    url = start_url or settings.crawl.registry_start_url
    allow = allow_private or settings.crawl.allow_private
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        snapshot = {**dataclasses.asdict(settings.crawl), "start_url": url, "allow_private": allow}
        run_id = start_run(con, "registry", quarter=quarter, settings=snapshot)
    log_file = _state_dir(settings.db) / "logs" / f"{run_id}.log"
    job = _job(settings, "registry", run_id, allow, log_file)
    job["start_url"] = url
    child = _run_child(job, total=0, progress=progress, label="registry")
    summary = (child.done or {}).get("summary", {})
    upsert = summary.get("upsert", {"new": [], "updated": [], "matched_paper": []})
    failures = list(summary.get("failures", []))
    if summary.get("start_failure"):
        failures.insert(0, summary["start_failure"])
    entries = int(summary.get("entries", 0))
    reported = summary.get("reported_total")
    # Missing-marking needs a trustworthy full list: no failure, and no fewer entries than the
    # portal's own hit count (fewer means paging or selectors silently lost some).
    complete = (
        child.returncode == 0
        and entries > 0
        and not failures
        and (reported is None or entries >= int(reported))
    )
    missing: list[str] = []
    status = (
        "finished" if child.returncode == 0 else ("interrupted" if child.interrupted else "failed")
    )
    if entries == 0 and status == "finished":
        status = "failed"
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        if complete:
            missing = mark_missing(con, run_id)
        stats = {
            "entries": entries,
            "reported_total": reported,
            "parse_failures": len(failures),
            "new": len(upsert["new"]),
            "updated": len(upsert["updated"]),
            "matched_paper": len(upsert["matched_paper"]),
            "missing": len(missing),
            "complete": complete,
        }
        finish_run(con, run_id, status, stats)
    if status == "interrupted":
        raise KeyboardInterrupt
    if entries == 0:
        detail = "; ".join(failures[:3]) or "no hit list entries found"
        raise CrawlError(
            f"registry crawl found no initiatives at {url} ({len(failures)} problem(s): {detail}); "
            f"the layout may have changed, see crawler/selectors.py and {log_file}"
        )
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
