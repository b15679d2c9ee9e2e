"""Command of the pipeline stage: ``clusterradar process`` (thin Typer shell over run.py)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from clusterradar.options import (
    ClusterIdAlias,
    ClusterIdOption,
    NoProgressOption,
    QuietAlias,
    chosen_cluster_ids,
    progress_off,
    settings_of,
)
from clusterradar.warehouse.db import connect


def process(
    ctx: typer.Context,
    cluster: ClusterIdOption = None,
    clusters_alias: ClusterIdAlias = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the counts as one JSON object.")
    ] = False,
    no_progress: NoProgressOption = False,
    quiet_alias: QuietAlias = False,
) -> None:
    """Extract, split and embed every crawled page not processed yet (safe to rerun).

    Fills the snapshots' extracted text, writes passages with their SVI lexicon hits, and caches
    embeddings of the configured model (CLUSTERRADAR_MODEL). A rerun does only what is missing.
    """
    from clusterradar.pipeline.run import process_pending
    from clusterradar.warehouse.clusters import require_cluster_ids

    settings = settings_of(ctx)
    cluster = chosen_cluster_ids(cluster, clusters_alias)
    progress = not progress_off(no_progress, quiet_alias)
    if cluster:
        with connect(settings.db, read_only=True, timeout=settings.lock_timeout) as con:
            require_cluster_ids(con, cluster, "--cluster")
    stats = process_pending(settings, cluster_ids=cluster or None, progress=progress)
    if as_json:
        typer.echo(json.dumps(stats.as_dict(), ensure_ascii=False))
        return
    typer.echo(
        f"extracted {stats.pages_extracted} pages of {stats.sites_extracted} sites "
        f"({stats.pages_empty} without text); split {stats.snapshots_split} pages into "
        f"{stats.passages_written} passages; re-matched the lexicon in "
        f"{stats.passages_rescored} passages; embedded {stats.passages_embedded} new passages"
        + (f" with {stats.embedding_model}" if stats.embedding_model else "")
    )
    typer.echo("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in stats.seconds.items()))


def register(app: typer.Typer) -> None:
    """Add ``process`` to the root app."""
    app.command("process")(process)
