"""Commands of the quarterly stage: `run`, `report`, `diff` (thin Typer shells).

The logic lives in :mod:`clusterradar.quarterly.run`, :mod:`~clusterradar.quarterly.report`
and :mod:`~clusterradar.quarterly.diff`; these functions parse flags and format output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from clusterradar.errors import InputError
from clusterradar.inputs import parse_quarter_flag
from clusterradar.labels import load_taxonomy
from clusterradar.options import (
    ClusterIdAlias,
    ClusterIdOption,
    NoProgressOption,
    QuietAlias,
    chosen_cluster_ids,
    progress_off,
    settings_of,
)
from clusterradar.quarters import current_quarter
from clusterradar.warehouse.db import connect

QuarterOption = Annotated[
    str | None,
    typer.Option("--quarter", help="Quarter such as 2026Q4 (default: the current quarter)."),
]


def _settings(ctx: typer.Context):
    return settings_of(ctx)


def _quarter(text: str | None, flag: str = "--quarter"):
    """The quarter a flag names (default: the current one), from 2020Q1 to the current quarter."""

    return parse_quarter_flag(text, flag) if text else current_quarter()


def run_command(
    ctx: typer.Context,
    quarter: QuarterOption = None,
    skip_registry: Annotated[
        bool, typer.Option("--skip-registry", help="Do not crawl the registry this time.")
    ] = False,
    cluster: ClusterIdOption = None,
    clusters_alias: ClusterIdAlias = None,
    max_pages: Annotated[
        int | None, typer.Option("--max-pages", min=1, help="Page budget per website.")
    ] = None,
    allow_private: Annotated[
        bool,
        typer.Option("--allow-private", help="Allow private/loopback addresses (local test webs)."),
    ] = False,
    registry_listed_only: Annotated[
        bool,
        typer.Option(
            "--registry-listed-only",
            help="Crawl only initiatives listed by this quarter's registry crawl.",
        ),
    ] = False,
    redo: Annotated[
        list[str] | None,
        typer.Option(
            "--redo",
            help="Run this stage again although done, and every stage after it "
            "(registry|sites|pipeline|classify; repeat the flag).",
        ),
    ] = None,
    revalidate_all: Annotated[
        bool,
        typer.Option(
            "--revalidate-all",
            help="Ignore the sitemaps' <lastmod> dates: ask every page again (a stage already "
            "done needs --redo sites).",
        ),
    ] = False,
    no_progress: NoProgressOption = False,
    quiet_alias: QuietAlias = False,
) -> None:
    """Run a quarter end to end: registry, websites, text pipeline, classification, review queue.

    Rerunning the same quarter reuses the stages already done (for the same clusters and page
    budget) and resumes an interrupted one; once a stage runs, the stages after it run again.
    """
    from clusterradar.quarterly.run import run_quarter
    from clusterradar.warehouse.clusters import require_cluster_ids

    settings = _settings(ctx)
    run_for = _quarter(quarter)
    clusters = chosen_cluster_ids(cluster, clusters_alias)
    progress = not progress_off(no_progress, quiet_alias)
    if clusters:
        # Checked against the warehouse as it is before the run: an initiative the registry
        # has not listed yet needs a run (or 'crawl registry') without --clusters first.
        with connect(settings.db, read_only=True, timeout=settings.lock_timeout) as con:
            require_cluster_ids(con, clusters, "--cluster")
    if allow_private:
        settings.crawl.allow_private = True
    if revalidate_all:
        settings.crawl.sitemap_trust_days = 0  # the site crawl trusts no sitemap date
    result = run_quarter(
        settings,
        run_for,
        skip_registry=skip_registry,
        cluster_ids=clusters or None,
        max_pages=max_pages,
        allow_private=allow_private or settings.crawl.allow_private,
        registry_listed_only=registry_listed_only,
        redo=redo or (),
        progress=progress,
    )
    print_run_summary(result)
    typer.echo(
        f"next: clusterradar report --quarter {result.quarter} · "
        f"clusterradar diff --to {result.quarter} · clusterradar review serve"
    )


def print_run_summary(result) -> None:
    """A table of the stages of one quarterly run (to stdout)."""
    from rich.table import Table  # rich loads lazily (clusterradar/lazy.py)

    from clusterradar.console import console

    table = Table(title=f"Quarter {result.quarter} ({result.scope})")
    for column in ("stage", "status", "ref", "numbers"):
        table.add_column(column, overflow="fold")
    for stage in result.stages:
        numbers = ", ".join(
            f"{k}={v}"
            for k, v in stage.stats.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and k != "stage_seconds"
        )
        table.add_row(stage.title, stage.status, stage.ref_id or "", numbers[:200])
    console().print(table)


def report_command(
    ctx: typer.Context,
    quarter: QuarterOption = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for report-<Q>.html and report-<Q>.md.")
    ] = Path("reports"),
) -> None:
    """Write the change report of a quarter (HTML with embedded maps and charts, plus Markdown)."""
    from clusterradar.quarterly.report import write_report

    settings = _settings(ctx)
    files = write_report(
        settings.db,
        _quarter(quarter),
        out,
        lock_timeout=settings.lock_timeout,
        review=settings.review,
        language=settings.ui.language,
    )
    typer.echo(f"report for {files.quarter}: {files.html}")
    typer.echo(f"markdown:            {files.markdown}")
    typer.echo(files.report.review.one_line())


def diff_command(
    ctx: typer.Context,
    from_quarter: Annotated[
        str | None, typer.Option("--from", help="Earlier quarter (default: the one before --to).")
    ] = None,
    to_quarter: Annotated[
        str | None, typer.Option("--to", help="Later quarter (default: the current quarter).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Classification changes between two quarters' as-of dates, and differing suggestions."""
    from clusterradar.quarterly.diff import diff_quarters, require_runs

    settings = _settings(ctx)
    later = _quarter(to_quarter, "--to")
    earlier = _quarter(from_quarter, "--from") if from_quarter else later.previous()
    if earlier > later:
        raise InputError(f"--from {earlier} is after --to {later}")
    with connect(settings.db, read_only=True, timeout=settings.lock_timeout) as con:
        diff = require_runs(con, diff_quarters(con, earlier, later))
    if as_json:
        typer.echo(json.dumps(diff.as_dict(), indent=2, ensure_ascii=False, default=str))
        return
    print_diff(diff)


def print_diff(diff) -> None:
    """Both tables with the taxonomy's German names (as `history` prints them; --json keeps
    the keys)."""
    from rich.table import Table  # rich loads lazily (clusterradar/lazy.py)

    from clusterradar.console import console as make_console

    taxonomy = load_taxonomy()

    def dimension_de(key: str) -> str:
        return taxonomy.dimension(key).label_de if key in taxonomy.dimension_keys() else key

    def labels_de(dimension: str, keys) -> str:
        return ", ".join(taxonomy.label_de(dimension, k) or k for k in keys or []) or "–"

    console = make_console()
    changes = Table(
        title=f"Classification in force: {diff.from_as_of} → {diff.to_as_of} "
        f"({len(diff.classification_changes)} changes)"
    )
    for column in ("cluster", "dimension", "before", "after", "source", "valid from"):
        changes.add_column(column, overflow="fold")
    for c in diff.classification_changes:
        changes.add_row(
            c.cluster_name,
            dimension_de(c.dimension),
            labels_de(c.dimension, c.before),
            labels_de(c.dimension, c.after),
            f"{c.source or '–'}{f' ({c.decided_by})' if c.decided_by else ''}",
            str(c.valid_from or "–"),
        )
    console.print(changes)
    suggested = Table(
        title=f"Top suggestions {diff.from_quarter} → {diff.to_quarter} "
        f"({len(diff.suggestion_changes)} differ)"
    )
    for column in ("cluster", "dimension", "before", "after", "in force"):
        suggested.add_column(column, overflow="fold")
    for s in diff.suggestion_changes:
        suggested.add_row(
            s.cluster_name,
            dimension_de(s.dimension),
            f"{labels_de(s.dimension, [s.before])} ({s.before_score})" if s.before else "–",
            f"{labels_de(s.dimension, [s.after])} ({s.after_score})" if s.after else "–",
            labels_de(s.dimension, s.in_force),
        )
    console.print(suggested)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.command("run")(run_command)
    app.command("report")(report_command)
    app.command("diff")(diff_command)
