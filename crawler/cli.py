"""Commands of the crawler stage (thin Typer shell; logic lives in plain functions).

``clusterradar crawl registry|sites`` and ``clusterradar clusters add|list``. Scrapy is imported
only inside the crawl child process, so these commands load fast.
"""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlsplit

import typer

from clusterradar.errors import InputError
from clusterradar.options import (
    ClusterIdAlias,
    ClusterIdOption,
    NoProgressOption,
    QuietAlias,
    chosen_cluster_ids,
    progress_off,
    settings_of,
    split_values,
)
from clusterradar.warehouse.db import connect, transaction

crawl_app = typer.Typer(
    help="Crawl the cluster registry and the initiatives' websites.", no_args_is_help=True
)
clusters_app = typer.Typer(
    help="List initiatives and add ones the registry lacks.", no_args_is_help=True
)

AllowPrivate = Annotated[
    bool,
    typer.Option(
        "--allow-private",
        help="Allow hosts that resolve to private/loopback addresses (tests, the demo).",
    ),
]
RevalidateAll = Annotated[
    bool,
    typer.Option(
        "--revalidate-all",
        help="Ignore the sitemaps' <lastmod> dates: ask every page again (conditionally).",
    ),
]
Quarter = Annotated[
    str | None,
    typer.Option("--quarter", help="Tag the run with a quarter, e.g. 2026Q4 (checked)."),
]


def _console():
    from clusterradar.console import console

    return console()


@crawl_app.command("registry")
def crawl_registry_command(
    ctx: typer.Context,
    start_url: Annotated[
        str | None,
        typer.Option(
            "--start-url", help="Registry start page (default: crawl.registry_start_url)."
        ),
    ] = None,
    allow_private: AllowPrivate = False,
    quarter: Quarter = None,
    no_progress: NoProgressOption = False,
    quiet_alias: QuietAlias = False,
) -> None:
    """Crawl the Clusterplattform: upsert every initiative, mark those no longer listed.

    Exits non-zero when no initiative could be parsed (the portal layout may have changed).

    Example: clusterradar crawl registry --start-url http://127.0.0.1:8001/ --allow-private
    """
    from rich.table import Table  # rich loads lazily (clusterradar/lazy.py)

    from clusterradar.crawler.runner import crawl_registry

    result = crawl_registry(
        settings_of(ctx),
        start_url=start_url,
        quarter=quarter,
        allow_private=allow_private,
        progress=not progress_off(no_progress, quiet_alias),
    )
    table = Table(title=f"registry crawl {result.crawl_run_id}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("initiatives parsed", result.entries),
        (
            "hits reported by the portal",
            "?" if result.reported_total is None else result.reported_total,
        ),
        ("new", result.new),
        ("updated", result.updated),
        ("matched paper clusters", result.matched_paper),
        ("newly missing", len(result.missing)),
        ("parse failures", len(result.parse_failures)),
    ):
        table.add_row(label, str(value))
    console = _console()
    console.print(table)
    for failure in result.parse_failures[:20]:
        console.print(f"[yellow]could not parse:[/] {failure}", highlight=False)
    if not result.complete:
        console.print("run incomplete: nothing was marked missing", highlight=False)


@crawl_app.command("sites")
def crawl_sites_command(
    ctx: typer.Context,
    cluster: ClusterIdOption = None,
    clusters_alias: ClusterIdAlias = None,
    max_pages: Annotated[
        int | None, typer.Option("--max-pages", help="Page budget per site (default 40).", min=1)
    ] = None,
    allow_private: AllowPrivate = False,
    quarter: Quarter = None,
    revalidate_all: RevalidateAll = False,
    no_progress: NoProgressOption = False,
    quiet_alias: QuietAlias = False,
) -> None:
    """Crawl the initiatives' own websites (all, or -c ID -c ID ...); resumes an interrupted run
    that asked for the same clusters and settings.

    On a recrawl a page whose sitemap <lastmod> has not moved is not requested again (within
    crawl.sitemap_trust_days); --revalidate-all asks every page again.

    Example: clusterradar crawl sites -c photonics-bw -c aerospace-hub --max-pages 20
    """
    from rich.table import Table  # rich loads lazily (clusterradar/lazy.py)

    from clusterradar.crawler.runner import crawl_sites

    result = crawl_sites(
        settings_of(ctx),
        cluster_ids=chosen_cluster_ids(cluster, clusters_alias),
        max_pages=max_pages,
        allow_private=allow_private,
        quarter=quarter,
        progress=not progress_off(no_progress, quiet_alias),
        revalidate_all=revalidate_all,
    )
    table = Table(
        title=f"site crawl {result.crawl_run_id}" + (" (resumed)" if result.resumed else "")
    )
    table.add_column("outcome")
    table.add_column("sites", justify="right")
    for outcome, count in sorted(result.outcomes.items()):
        table.add_row(outcome, str(count))
    console = _console()
    console.print(table)
    console.print(
        f"pages fetched: {result.pages} (unchanged: {result.unchanged}, of which not "
        f"requested by the sitemap's date: {result.not_requested}; new bodies: "
        f"{result.new_bodies}, failed: {result.errors})",
        highlight=False,
    )


@clusters_app.command("add")
def clusters_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Name of the initiative.")],
    website: Annotated[str, typer.Option("--website", help="Its website (http or https URL).")],
    land: Annotated[
        list[str] | None,
        typer.Option(
            "--land",
            help="Bundesland slug or name: repeat the flag or separate by commas "
            "(--land bayern --land hessen, or --land bayern,hessen).",
        ),
    ] = None,
) -> None:
    """Add an initiative the registry lacks; prints its new id.

    Example: clusterradar clusters add --name "Nord" --website https://nord.example
    --land bremen --land hamburg
    """

    from clusterradar.crawler.registry import BUNDESLAND_SLUGS, bundesland_slug
    from clusterradar.warehouse.registry import add_manual_cluster

    if not name.strip():
        raise InputError("--name must not be empty")
    parts = urlsplit(website.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in website.strip():
        raise InputError(f"--website {website!r} is not an http(s) URL like https://example.de/")
    slugs = []
    for value in split_values(land):
        slug = bundesland_slug(value)
        if slug is None:
            raise InputError(
                f"unknown Bundesland {value!r}; use one of: {', '.join(BUNDESLAND_SLUGS)}"
            )
        if slug not in slugs:
            slugs.append(slug)
    settings = settings_of(ctx)
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        cluster_id = add_manual_cluster(
            con, name=name.strip(), website=website.strip(), bundeslaender=slugs
        )
    typer.echo(cluster_id)


@clusters_app.command("list")
def clusters_list(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array instead of a table.")
    ] = False,
) -> None:
    """List every initiative with its origin, website and last site crawl outcome.

    Example: clusterradar clusters list --json
    """
    from rich.table import Table  # rich loads lazily (clusterradar/lazy.py)

    from clusterradar.warehouse.crawls import clusters_with_last_outcome

    settings = settings_of(ctx)
    with connect(settings.db, read_only=True, timeout=settings.lock_timeout) as con:
        rows = clusters_with_last_outcome(con)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return

    table = Table(title=f"{len(rows)} initiatives")
    table.add_column("id", no_wrap=True)  # an id is copied into other commands: never split
    for column in ("name", "origin", "Länder", "website", "last outcome", "missing since"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["cluster_id"],
            row["name"],
            row["origin"],
            ", ".join(row["bundeslaender"] or []),
            row["website"] or "-",
            row["last_outcome"] or "never crawled",
            str(row["missing_since"] or ""),
        )
    _console().print(table)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.add_typer(crawl_app, name="crawl")
    app.add_typer(clusters_app, name="clusters")
