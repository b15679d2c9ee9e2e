"""The offline demo: two quarters of Clusterradar against a generated sample web on 127.0.0.1.

The story (README's first command): create a warehouse with the paper's labels → run the
previous quarter (registry crawl, websites, text pipeline, classification) → a demo reviewer
decides a few suggestions → the web changes (a civil initiative adds a defence working group,
one site goes offline, the registry lists one initiative more and one less) → run the current
quarter → change report, diff and exports. Everything is written under one folder.

Quarters: the two most recent ones relative to today (e.g. 2026Q3 → 2026Q4), so the demo's
review decisions (valid from today) fall inside the later quarter, exactly as in real use.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clusterradar.crawler.localweb import LocalWeb
from clusterradar.demo.sampleweb import PORTAL, write_sample_web
from clusterradar.errors import InputError
from clusterradar.labels import load_labelled_clusters
from clusterradar.quarterly.diff import cluster_names, diff_quarters, top_suggestions
from clusterradar.quarterly.report import write_report
from clusterradar.quarterly.run import run_quarter
from clusterradar.quarters import Quarter, current_quarter
from clusterradar.review.auth import create_user, load_user
from clusterradar.review.decisions import record_decision
from clusterradar.settings import Settings
from clusterradar.urls import normalise_name
from clusterradar.warehouse.clusters import point_website
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.export import export_classifications
from clusterradar.warehouse.history import effective_at
from clusterradar.warehouse.labels_loading import initialise_warehouse
from clusterradar.warehouse.records import StoredSuggestion

DB_NAME = "clusterradar.duckdb"
DEMO_REVIEWER = "demo"
OUTPUTS = (DB_NAME, f"{DB_NAME}.wal", "web", "reports", "exports", ".clusterradar")


@dataclass(slots=True)
class DemoResult:
    """Where the demo put everything, and what it found."""

    out_dir: Path
    db: Path
    quarters: tuple[str, str]
    reports: list[Path]
    diff_json: Path
    exports: list[Path]
    decided: dict[str, list[str]]  # action -> cluster ids
    offline_site: str | None
    transformed_sites: list[str]
    seconds: float
    stage_summaries: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def demo_settings(db: Path, portal_url: str, *, max_pages: int = 8) -> Settings:
    """Settings for a fast, polite-enough crawl of the loopback sample web."""
    settings = Settings(db=db)
    settings.crawl.registry_start_url = portal_url
    settings.crawl.allow_private = True
    settings.crawl.max_pages = max_pages
    settings.crawl.max_depth = 2
    settings.crawl.download_timeout = 5.0
    settings.crawl.retry_times = 0
    settings.crawl.autothrottle = False
    settings.crawl.concurrent_per_domain = 4
    return settings


def prepare_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse to mix a new demo into an old one unless `force` (then remove only demo outputs)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder")
    existing = [name for name in OUTPUTS if (out_dir / name).exists()]
    if existing and not force:
        raise InputError(
            f"{out_dir} already holds a demo ({', '.join(existing)}); use --force to start over"
        )
    for name in existing:
        target = out_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def point_paper_clusters_at(db: Path, websites: dict[str, str]) -> dict[str, str]:
    """Point the paper's clusters named in `websites` ({initiative name: URL}) at those URLs.

    The paper's real hosts cannot be served on 127.0.0.1, and a registry match keeps a paper
    cluster's curated website; without this the site crawl would try the internet. Matching is
    by normalised name, as the registry crawl does. Returns {cluster_id: URL} of what was set.
    """

    paper = {normalise_name(c.name): c.id for c in load_labelled_clusters()}
    pointed = {
        paper[normalise_name(name)]: url
        for name, url in websites.items()
        if normalise_name(name) in paper
    }
    with connect(db) as con, transaction(con):
        for cluster_id, url in pointed.items():
            point_website(con, cluster_id, url)
    return pointed


def ensure_demo_reviewer(db: Path, name: str = DEMO_REVIEWER) -> bool:
    """Give the demo reviewer a real account, so its decisions name a user the review stage
    knows (``review accept --reviewer demo``, the agreement table, the web app's history).

    The password is random and never shown: the account decides from the command line, and
    whoever wants to log in to the web app adds their own account. Returns whether it was
    created now (False: it existed already).
    """

    with connect(db) as con, transaction(con):
        if load_user(con, name) is not None:
            return False
        create_user(con, name, secrets.token_urlsafe(24))
    return True


def review_as_demo(db: Path, quarter: Quarter, civil_names: set[str]) -> dict[str, list[str]]:
    """Reviewer 'demo' decides a few intensity suggestions of not yet classified clusters.

    Accepts the three most confident ones, overrides one civil initiative the model placed on
    the SVI scale to "no SVI relevance", and rejects the least confident one, so history,
    report and confusion matrix show all three kinds of decision. Returns
    {action: [cluster ids]}.
    """

    ensure_demo_reviewer(db)
    with connect(db, read_only=True) as con:
        classified = {v.cluster_id for v in effective_at(con, quarter.as_of, dimension="intensity")}
        names = cluster_names(con)
        candidates = [
            s
            for s in top_suggestions(con, quarter)
            if s.dimension == "intensity" and s.cluster_id not in classified
        ]
    candidates.sort(key=lambda s: (-s.score, s.cluster_id))
    civil = [
        s
        for s in candidates
        if names.get(s.cluster_id) in civil_names and s.label_key != "no_svi_relevance"
    ]
    plan: list[tuple[str, StoredSuggestion, list[str] | None, str]] = []
    if civil:
        plan.append(("override", civil[0], ["no_svi_relevance"], "ziviles Netzwerk ohne SVI-Bezug"))
    rest = [s for s in candidates if not civil or s is not civil[0]]
    plan += [("accept", s, None, "accepted by the offline demo") for s in rest[:3]]
    if len(rest) > 3:
        plan.append(("reject", rest[-1], None, "zu wenig Evidenz"))
    decided: dict[str, list[str]] = {"accept": [], "override": [], "reject": []}
    for action, suggestion, labels, comment in plan:
        record_decision(
            db,
            suggestion_id=suggestion.suggestion_id,
            action=action,
            labels=labels,
            reviewer=DEMO_REVIEWER,
            comment=comment,
        )
        decided[action].append(suggestion.cluster_id)
    return decided


def run_demo(
    out_dir: Path,
    *,
    force: bool = False,
    progress: bool = True,
    max_pages: int = 8,
    later: Quarter | None = None,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Run the whole two-quarter story into `out_dir` (see the module docstring)."""

    started = time.monotonic()
    later = later or current_quarter()
    earlier = later.previous()
    out_dir = Path(out_dir)
    prepare_out_dir(out_dir, force)
    db = out_dir / DB_NAME
    web_root = out_dir / "web"

    say(f"[1/7] warehouse {db} with the paper's labels")
    initialise_warehouse(db)
    sample = write_sample_web(web_root, "Q3")
    offline = next((i.site for i in sample.initiatives if i.goes_offline), None)
    transformed = [i.site for i in sample.initiatives if i.transforms]
    summaries: dict[str, list[tuple[str, str]]] = {}
    with LocalWeb(sample.sites) as web:
        settings = demo_settings(db, web.url(PORTAL) + sample.start_path, max_pages=max_pages)
        point_paper_clusters_at(
            db, {i.name: web.url(i.site) + "/" for i in sample.initiatives if i.paper}
        )
        say(
            f"[2/7] sample web of {len(sample.sites) - 1} sites on {web.url(PORTAL)}; "
            f"running {earlier}"
        )
        first = run_quarter(
            settings, earlier, allow_private=True, registry_listed_only=True, progress=progress
        )
        summaries[str(earlier)] = [(s.stage, s.status) for s in first.stages]
        say(f"[3/7] reviewer '{DEMO_REVIEWER}' decides a few suggestions of {earlier}")
        civil_names = {i.name for i in sample.initiatives if i.profile == "civil"}
        decided = review_as_demo(db, earlier, civil_names)
        say(
            f"[4/7] the web changes: {', '.join(transformed)} adds a defence working group; "
            f"{offline} goes offline; the registry lists one initiative more and one less"
        )
        write_sample_web(web_root, "Q4", sample.initiatives)
        if offline:
            web.set_offline(offline, True)
        say(f"[5/7] running {later}")
        second = run_quarter(
            settings, later, allow_private=True, registry_listed_only=True, progress=progress
        )
        summaries[str(later)] = [(s.stage, s.status) for s in second.stages]

    say(f"[6/7] change report {later} and diff {earlier} → {later}")
    reports_dir = out_dir / "reports"
    reports = []
    for quarter in (earlier, later):
        files = write_report(db, quarter, reports_dir)
        reports += [files.html, files.markdown]
    with connect(db, read_only=True) as con:
        diff = diff_quarters(con, earlier, later)
    diff_json = reports_dir / f"diff-{earlier}-{later}.json"
    diff_json.write_text(
        json.dumps(diff.as_dict(), indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    say("[7/7] exports (csv, parquet, json)")
    exports_dir = out_dir / "exports"
    with connect(db, read_only=True) as con:
        for fmt in ("csv", "parquet", "json"):
            export_classifications(con, exports_dir, fmt, later.as_of, force=True)
    return DemoResult(
        out_dir=out_dir,
        db=db,
        quarters=(str(earlier), str(later)),
        reports=reports,
        diff_json=diff_json,
        exports=sorted(exports_dir.iterdir()),
        decided=decided,
        offline_site=offline,
        transformed_sites=transformed,
        seconds=time.monotonic() - started,
        stage_summaries=summaries,
    )
