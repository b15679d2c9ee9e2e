"""The quarterly run: registry crawl → site crawl → text pipeline → classification → review queue.

Why stages with recorded status: a full quarter takes long (hundreds of websites), and analysts
will press Ctrl-C or lose the machine half-way. Each stage writes a ``running`` event before it
starts and ``done`` (or ``failed`` / ``interrupted``) after, each in its own short transaction
(:mod:`clusterradar.warehouse.quarters`). On a rerun of the same quarter a ``done`` stage is
reused, and an unfinished one is simply called again: every stage function is itself
resumable and idempotent (the crawler continues its unfinished run, the pipeline picks up what
is missing, the classifier skips clusters it already wrote), so calling it again *is* resuming.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from clusterradar.crawler.runner import crawl_registry, crawl_sites, site_seeds
from clusterradar.errors import InputError
from clusterradar.models.classify import classify_clusters
from clusterradar.pipeline.run import process_pending
from clusterradar.quarterly.changes import quarter_review_counts
from clusterradar.quarters import Quarter, parse_quarter
from clusterradar.settings import Settings
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.quarter_facts import registry_listing
from clusterradar.warehouse.quarters import (
    finished_stage,
    record_stage_event,
    scope_of,
    sites_crawled,
    start_attempt,
)

STAGE_NAMES = ("registry", "sites", "pipeline", "classify", "review")
REDOABLE_STAGES = ("registry", "sites", "pipeline", "classify")
# The registry crawl reads the whole portal whatever clusters or page budget a run names, so
# its status is kept under scope 'all' and a partial run reuses the full run's crawl.
UNSCOPED_STAGES = frozenset({"registry"})
# The engine's bookkeeping (stage events, reuse checks, scope look-ups) is many short units of
# work in a row; the instance lingers this long for the next one instead of reopening the file.
# A crawl process that queues for the file closes it at once (warehouse/db.py).
BOOKKEEPING_LINGER = 2.0


@dataclass(slots=True)
class StageOutcome:
    """What a stage function hands back: the run it produced (if any) and its numbers."""

    ref_id: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class StageContext:
    """Everything a stage needs; `states` holds the outcomes of earlier stages of this run."""

    settings: Settings
    quarter: Quarter
    cluster_ids: list[str] | None
    max_pages: int | None
    allow_private: bool
    registry_listed_only: bool
    progress: bool
    outcomes: dict[str, StageOutcome] = field(default_factory=dict)
    # Why a stage runs in this attempt: 'first' (never finished in this scope), 'redo'
    # (--redo of it or of a stage upstream) or 'upstream' (a stage before it ran just now, so
    # its earlier result may miss something: e.g. the registry listed new initiatives).
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return scope_of(
            self.cluster_ids, self.max_pages, registry_listed_only=self.registry_listed_only
        )


@dataclass(slots=True)
class Stage:
    """One step of the quarterly run. `run` must be idempotent and resumable."""

    name: str
    title: str
    run: Callable[[StageContext], StageOutcome]


@dataclass(slots=True)
class StageReport:
    """How one stage went in this invocation: 'done' (ran now), 'reused' or 'skipped'."""

    stage: str
    title: str
    status: str
    ref_id: str | None
    stats: dict[str, Any]
    seconds: float


@dataclass(slots=True)
class QuarterRunResult:
    """The result of `run_quarter`: one report per stage, in order."""

    quarter: str
    attempt_id: str
    scope: str
    stages: list[StageReport]

    def stage(self, name: str) -> StageReport | None:
        return next((s for s in self.stages if s.stage == name), None)


def stats_of(result: Any) -> dict[str, Any]:
    """A JSON-friendly dict of whatever a stage function returned (dataclass, dict, object)."""
    if result is None:
        return {}
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        data = dataclasses.asdict(result)
    elif isinstance(result, dict):
        data = dict(result)
    elif hasattr(result, "__dict__"):
        data = dict(vars(result))
    else:
        return {"result": str(result)}
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _ref_of(result: Any, *names: str) -> str | None:
    for name in names:
        value = getattr(result, name, None)
        if value is None and isinstance(result, dict):
            value = result.get(name)
        if value:
            return str(value)
    return None


# --- the real stages ---------------------------------------------------------------------------


def _stage_registry(ctx: StageContext) -> StageOutcome:
    result = crawl_registry(
        ctx.settings,
        quarter=str(ctx.quarter),
        allow_private=ctx.allow_private,
        progress=ctx.progress,
    )
    return StageOutcome(_ref_of(result, "crawl_run_id"), stats_of(result))


def _site_cluster_ids(ctx: StageContext) -> list[str] | None:
    if ctx.cluster_ids:
        return list(ctx.cluster_ids)
    if not ctx.registry_listed_only:
        return None
    with _bookkeeping(ctx.settings) as con:
        listed = registry_listing(con, str(ctx.quarter))
    if not listed:
        raise InputError(
            f"--registry-listed-only: no registry crawl of {ctx.quarter} listed any initiative; "
            "run without --skip-registry first"
        )
    return sorted(listed)


def sites_to_catch_up(ctx: StageContext) -> list[str]:
    """Clusters in the run's scope whose website no finished site crawl of the quarter (with
    the same page budget) has an outcome for: typically initiatives the registry listed after
    the quarter's site crawl was done. Empty when every site was crawled already."""

    budget = ctx.max_pages if ctx.max_pages is not None else ctx.settings.crawl.max_pages
    with _bookkeeping(ctx.settings) as con:
        crawled = sites_crawled(con, str(ctx.quarter), budget)
    wanted = _site_cluster_ids(ctx)
    if wanted is None:
        with _bookkeeping(ctx.settings) as con:
            wanted = [cluster_id for cluster_id, _ in site_seeds(con, None)]
    return sorted(set(wanted) - crawled)


def _stage_sites(ctx: StageContext) -> StageOutcome:
    cluster_ids = _site_cluster_ids(ctx)
    if ctx.reasons.get("sites") == "upstream":
        # The site crawl of this scope was done; crawl only the sites it has not seen, not
        # every website again.
        cluster_ids = sites_to_catch_up(ctx)
        if not cluster_ids:
            return StageOutcome(None, {"caught_up": 0})
    result = crawl_sites(
        ctx.settings,
        cluster_ids=cluster_ids,
        max_pages=ctx.max_pages,
        allow_private=ctx.allow_private,
        quarter=str(ctx.quarter),
        progress=ctx.progress,
    )
    stats = stats_of(result)
    if ctx.reasons.get("sites") == "upstream":
        stats["caught_up"] = len(cluster_ids)
    return StageOutcome(_ref_of(result, "crawl_run_id"), stats)


def _stage_pipeline(ctx: StageContext) -> StageOutcome:
    result = process_pending(
        ctx.settings, cluster_ids=_site_cluster_ids(ctx), progress=ctx.progress
    )
    return StageOutcome(None, stats_of(result))


def _stage_classify(ctx: StageContext) -> StageOutcome:
    result = classify_clusters(
        ctx.settings,
        cluster_ids=_site_cluster_ids(ctx),
        quarter=str(ctx.quarter),
        progress=ctx.progress,
    )
    stats = stats_of(result)
    # Suggestions can be many objects; the stage status keeps numbers, not payloads.
    for key in ("suggestions", "clusters"):
        if isinstance(stats.get(key), list):
            stats[key] = len(stats[key])
    return StageOutcome(_ref_of(result, "run_id"), stats)


def review_queue_summary(settings: Settings, quarter: Quarter) -> dict[str, Any]:
    """The quarter's review counts (:mod:`clusterradar.warehouse.review_counts`)."""

    with connect(settings.db, read_only=True, timeout=settings.lock_timeout) as con:
        counts = quarter_review_counts(con, quarter, settings.review)
    summary = counts.as_dict()
    del summary["quarter"], summary["open_by_dimension"]
    return summary


def _stage_review(ctx: StageContext) -> StageOutcome:
    return StageOutcome(None, review_queue_summary(ctx.settings, ctx.quarter))


QUARTER_STAGES: tuple[Stage, ...] = (
    Stage("registry", "Registry crawl", _stage_registry),
    Stage("sites", "Website crawl", _stage_sites),
    Stage("pipeline", "Extraction, passages, embeddings", _stage_pipeline),
    Stage("classify", "Classification", _stage_classify),
    Stage("review", "Review queue", _stage_review),
)


# --- the engine -----------------------------------------------------------------------------


def _bookkeeping(settings: Settings) -> contextlib.AbstractContextManager[Any]:
    """A short unit of work of the engine's own (see :data:`BOOKKEEPING_LINGER`)."""
    return connect(settings.db, timeout=settings.lock_timeout, linger=BOOKKEEPING_LINGER)


def _record(settings: Settings, **event: Any) -> None:
    with _bookkeeping(settings) as con, transaction(con):
        record_stage_event(con, **event)


def run_stages(
    ctx: StageContext,
    stages: tuple[Stage, ...] | list[Stage],
    *,
    skip: frozenset[str] = frozenset(),
    redo: frozenset[str] = frozenset(),
    always_rerun: frozenset[str] = frozenset({"review"}),
    on_stage: Callable[[int, int, Stage, str], None] | None = None,
) -> QuarterRunResult:
    """Run `stages` in order for one quarter, reusing done ones and recording every transition.

    A done stage is reused only if its scope covers this run's (same clusters or all of them,
    same page budget) and no stage before it ran in this attempt: once one stage really runs,
    every later one runs too (each is incremental, so that costs little and picks up e.g.
    newly listed initiatives). A stage in `redo` runs even if done, and so does everything
    after it. A stage in `skip` is recorded as 'skipped'; one in `always_rerun` (cheap
    summaries) runs every time. KeyboardInterrupt records 'interrupted', any other error
    'failed', and both are re-raised unchanged: the next call resumes at that stage.
    """
    _check_skip_and_redo([stage.name for stage in stages], skip, redo)
    settings, quarter = ctx.settings, str(ctx.quarter)
    scope = ctx.scope
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        attempt_id = start_attempt(con, quarter, _attempt_options(ctx, skip, redo))
    reports: list[StageReport] = []
    forced: str | None = None  # 'redo' or 'upstream' once a stage has run in this attempt
    for index, stage in enumerate(stages):
        stage_scope = "all" if stage.name in UNSCOPED_STAGES else scope
        common = {
            "attempt_id": attempt_id,
            "quarter": quarter,
            "stage": stage.name,
            "scope": stage_scope,
        }
        if stage.name in skip:
            _record(settings, status="skipped", **common)
            reports.append(StageReport(stage.name, stage.title, "skipped", None, {}, 0.0))
            if on_stage:
                on_stage(index, len(stages), stage, "skipped")
            continue
        if stage.name in redo:
            forced = "redo"
        done = None
        if stage.name not in always_rerun:
            with _bookkeeping(settings) as con:
                done = finished_stage(con, quarter, stage.name, stage_scope)
        if done is not None and forced is None:
            outcome = StageOutcome(done.ref_id, done.stats or {})
            ctx.outcomes[stage.name] = outcome
            reports.append(
                StageReport(stage.name, stage.title, "reused", done.ref_id, outcome.stats, 0.0)
            )
            if on_stage:
                on_stage(index, len(stages), stage, "reused")
            continue
        ctx.reasons[stage.name] = "first" if done is None else forced or "first"
        if on_stage:
            on_stage(index, len(stages), stage, "running")
        reports.append(_run_stage(ctx, stage, common))
        if stage.name not in always_rerun:
            forced = forced or "upstream"
    return QuarterRunResult(quarter, attempt_id, scope, reports)


def _check_skip_and_redo(names: list[str], skip: frozenset[str], redo: frozenset[str]) -> None:
    """InputError for a --redo stage that does not exist or a stage both skipped and redone."""
    unknown = sorted(set(redo) - set(names))
    if unknown:
        raise InputError(f"--redo: unknown stage(s) {', '.join(unknown)}")
    if set(redo) & set(skip):
        raise InputError(f"cannot both skip and redo {', '.join(sorted(set(redo) & set(skip)))}")


def _attempt_options(
    ctx: StageContext, skip: frozenset[str], redo: frozenset[str]
) -> dict[str, Any]:
    """What this attempt was asked for, as the quarter's attempt row records it."""
    return {
        "cluster_ids": ctx.cluster_ids,
        "max_pages": ctx.max_pages,
        "allow_private": ctx.allow_private,
        "registry_listed_only": ctx.registry_listed_only,
        "skip": sorted(skip),
        "redo": sorted(redo),
    }


def _run_stage(ctx: StageContext, stage: Stage, common: dict[str, Any]) -> StageReport:
    """Run one stage, recording 'running', then 'done' with its stats and duration, or
    'interrupted' / 'failed' before the error is re-raised unchanged."""
    settings = ctx.settings
    _record(settings, status="running", **common)
    started = time.monotonic()
    try:
        outcome = stage.run(ctx)
    except KeyboardInterrupt:
        _record_quietly(settings, status="interrupted", **common)
        raise
    except BaseException as exc:
        _record_quietly(settings, status="failed", detail=_one_line(exc), **common)
        raise
    seconds = time.monotonic() - started
    stats = {**outcome.stats, "stage_seconds": round(seconds, 2)}
    _record(settings, status="done", ref_id=outcome.ref_id, stats=stats, **common)
    ctx.outcomes[stage.name] = outcome
    return StageReport(stage.name, stage.title, "done", outcome.ref_id, stats, seconds)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _record_quietly(settings: Settings, **event: Any) -> None:
    """Best effort while unwinding: the original error matters more than this event."""
    with contextlib.suppress(Exception):
        _record(settings, **event)


def run_quarter(
    settings: Settings,
    quarter: str | Quarter,
    *,
    skip_registry: bool = False,
    cluster_ids: list[str] | None = None,
    max_pages: int | None = None,
    allow_private: bool = False,
    registry_listed_only: bool = False,
    redo: list[str] | tuple[str, ...] | frozenset[str] = (),
    progress: bool = True,
    stages: tuple[Stage, ...] | None = None,
) -> QuarterRunResult:
    """Run (or resume) one quarter end to end; safe to call again at any time.

    `cluster_ids` limits the site crawl, pipeline and classification to those clusters (a
    partial run; its stage status is kept apart from the full run's). `registry_listed_only`
    crawls only initiatives the quarter's registry crawl listed (the demo uses it; a real
    quarter also crawls the paper's clusters that the registry lacks). `max_pages` is part of
    the scope too. `redo` names stages (registry, sites, pipeline, classify) to run again even
    though done; everything after them runs again as well.
    """
    bad = sorted(set(redo) - set(REDOABLE_STAGES))
    if bad:
        raise InputError(
            f"--redo: unknown stage(s) {', '.join(bad)} (choose from {', '.join(REDOABLE_STAGES)})"
        )
    if skip_registry and "registry" in redo:
        raise InputError("--skip-registry and --redo registry contradict each other")
    parsed = quarter if isinstance(quarter, Quarter) else parse_quarter(quarter)
    ctx = StageContext(
        settings=settings,
        quarter=parsed,
        cluster_ids=sorted(set(cluster_ids)) if cluster_ids else None,
        max_pages=max_pages,
        allow_private=allow_private,
        registry_listed_only=registry_listed_only,
        progress=progress,
    )
    on_stage = _print_stage if progress else None
    return run_stages(
        ctx,
        stages or QUARTER_STAGES,
        skip=frozenset({"registry"}) if skip_registry else frozenset(),
        redo=frozenset(redo),
        on_stage=on_stage,
    )


def _print_stage(index: int, total: int, stage: Stage, status: str) -> None:
    console = Console(stderr=True)
    if status == "running":
        console.rule(f"[bold]{index + 1}/{total} {stage.title}")
    elif status == "reused":
        console.print(f"[dim]{index + 1}/{total} {stage.title}: done earlier, reused[/dim]")
    else:
        console.print(f"[dim]{index + 1}/{total} {stage.title}: skipped[/dim]")
