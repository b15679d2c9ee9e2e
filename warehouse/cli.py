"""Commands of the warehouse stage: `init`, `history`, `export` (thin Typer shells)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from clusterradar.labels import load_taxonomy
from clusterradar.options import LabelsFileAlias, LabelsFileOption, chosen_labels_file, settings_of
from clusterradar.warehouse.db import connect


def init(
    ctx: typer.Context,
    taxonomy: Annotated[
        Path | None,
        typer.Option("--taxonomy", help="Taxonomy YAML to load (default: the packaged one)."),
    ] = None,
    clusters: LabelsFileOption = None,
    clusters_alias: LabelsFileAlias = None,
) -> None:
    """Create or migrate the warehouse and load the paper's labels (safe to rerun).

    Unchanged label files load nothing; a changed label adds a new version (old ones are kept).
    """
    clusters = chosen_labels_file(clusters, clusters_alias)
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    settings = settings_of(ctx)
    outcome = initialise_warehouse(settings.db, taxonomy, clusters, timeout=settings.lock_timeout)
    version, applied, result = outcome.schema_version, outcome.migrations_applied, outcome.load
    if applied:
        verb = "created" if 1 in applied else "migrated"
        steps = ", ".join(map(str, applied))
        typer.echo(f"{verb} {settings.db}: schema version {version} (applied {steps})")
    else:
        typer.echo(f"{settings.db}: schema version {version} is current")
    files_hash = result.files_hash
    short_hash = files_hash[:12]
    if not result.changed:
        typer.echo(
            f"labels unchanged ({result.clusters_in_files} clusters, files {short_hash}); "
            "nothing loaded"
        )
    else:
        typer.echo(
            f"labels loaded from files {short_hash}: {len(result.clusters_inserted)} new "
            f"clusters, {len(result.clusters_updated)} updated, "
            f"{len(result.versions_created)} new classification versions"
        )
        if not result.clusters_inserted:
            for cluster_id in result.versions_created:
                typer.echo(f"  new version: {cluster_id}")
            for cluster_id in result.clusters_updated:
                typer.echo(f"  updated facts: {cluster_id}")
    if result.clusters_not_in_files:
        typer.echo(
            f"kept {len(result.clusters_not_in_files)} paper clusters no longer in the files: "
            + ", ".join(result.clusters_not_in_files)
        )


def history(
    ctx: typer.Context,
    cluster: Annotated[str, typer.Argument(help="Cluster id (e.g. photonics-bw) or name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Print a cluster's classification timeline: every version with valid_from / valid_to,
    then the suggestions reviewers rejected (who, when, comment)."""

    from clusterradar.warehouse.clusters import cluster_history, require_cluster
    from clusterradar.warehouse.reviews import cluster_rejections

    settings = settings_of(ctx)
    taxonomy = load_taxonomy()
    with connect(settings.db, read_only=True, timeout=settings.lock_timeout) as con:
        record = require_cluster(con, cluster)
        entries = cluster_history(con, record.cluster_id, taxonomy)
        rejections = cluster_rejections(con, record.cluster_id)
    if as_json:
        payload = _history_payload(record, entries, rejections, taxonomy)
        typer.echo(
            json.dumps(payload, indent=2, ensure_ascii=False, default=lambda v: v.isoformat())
        )
        return

    from clusterradar.console import console as make_console

    console = make_console()
    if entries:
        console.print(_versions_table(record, entries, taxonomy))
    else:
        typer.echo(f"{record.cluster_id}: no classification versions yet")
    if rejections:
        console.print(_rejections_table(rejections, taxonomy))


def _history_payload(record: Any, entries: list, rejections: list, taxonomy: Any) -> dict:
    """`history --json`: the versions and the rejections with their German label."""
    return {
        "cluster_id": record.cluster_id,
        "name": record.name,
        "versions": [dataclasses.asdict(e) for e in entries],
        "rejections": [
            {
                **dataclasses.asdict(r.decision),
                "label": r.label_key,
                "label_de": taxonomy.label_de(r.decision.dimension, r.label_key or "")
                or r.label_key,
                "quarter": r.quarter,
                "concluded": r.concluded,
            }
            for r in rejections
        ],
    }


def _dimension_de(taxonomy: Any, key: str) -> str:
    return taxonomy.dimension(key).label_de if key in taxonomy.dimension_keys() else key


def _versions_table(record: Any, entries: list, taxonomy: Any) -> Any:
    """One row per classification version, open ones marked 'open'."""
    from rich.table import Table  # rich loads lazily (clusterradar/lazy.py)

    table = Table(title=f"{record.name} ({record.cluster_id})", title_justify="left")
    for column in (
        "dimension",
        "labels",
        "valid_from",
        "valid_to",
        "source",
        "decided_by",
        "decided_at",
        "comment / ref",
    ):
        table.add_column(column, overflow="fold")
    for entry in entries:
        labels = "; ".join(
            f"{de} ({key})" for key, de in zip(entry.labels, entry.labels_de, strict=True)
        )
        table.add_row(
            _dimension_de(taxonomy, entry.dimension),
            labels or "(no label)",
            entry.valid_from.isoformat(),
            entry.valid_to.isoformat() if entry.valid_to else "open",
            entry.source,
            entry.decided_by or "",
            entry.decided_at.strftime("%Y-%m-%d %H:%M") if entry.decided_at else "",
            entry.comment or (entry.source_ref or "")[:12],
        )
    return table


def _rejections_table(rejections: list, taxonomy: Any) -> Any:
    """One row per rejected suggestion; a rejection still awaiting its second review says so."""
    from rich.table import Table  # rich loads lazily (clusterradar/lazy.py)

    rejected = Table(title=f"Rejected suggestions ({len(rejections)})", title_justify="left")
    for column in ("dimension", "label", "quarter", "rejected_by", "rejected_at", "comment"):
        rejected.add_column(column, overflow="fold")
    for r in rejections:
        key = r.label_key or ""
        label = taxonomy.label_de(r.decision.dimension, key) or key
        rejected.add_row(
            _dimension_de(taxonomy, r.decision.dimension),
            f"{label} ({key})" if key else "–",
            r.quarter or "–",
            r.decision.reviewer + ("" if r.concluded else " (awaiting second review)"),
            r.decision.decided_at.strftime("%Y-%m-%d %H:%M"),
            r.decision.comment or "",
        )
    return rejected


def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder to write into (created if missing).")],
    fmt: Annotated[str, typer.Option("--format", help="csv, parquet or json.")] = "csv",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default: today).")
    ] = None,
    quarter: Annotated[
        str | None,
        typer.Option(
            "--quarter", help="Quarter such as 2026Q3: as of its last day (not with --as-of)."
        ),
    ] = None,
    suggestions: Annotated[
        bool,
        typer.Option(
            "--suggestions",
            help="Export the quarter's rank-1 suggestions with review status instead "
            "(--quarter, default: the current quarter).",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing export.")] = False,
) -> None:
    """Export the effective classification at a date plus a Frictionless datapackage.json.

    The files are always named classifications.<ext> (suggestions.<ext> with --suggestions):
    give each as-of date or quarter its own --out folder.
    """
    from clusterradar.warehouse.export import (
        export_as_of,
        export_classifications,
        export_suggestions,
        suggestions_quarter,
    )

    settings = settings_of(ctx)
    if suggestions:
        wanted = suggestions_quarter(quarter, as_of)
        with connect(settings.db, read_only=True, timeout=settings.lock_timeout) as con:
            result = export_suggestions(con, out, fmt.lower(), wanted, force)
        typer.echo(f"wrote {result.rows} suggestions (quarter {result.quarter}) to {result.path}")
        typer.echo(f"described in {result.datapackage_path}")
        return
    date = export_as_of(as_of, quarter)
    with connect(settings.db, read_only=True, timeout=settings.lock_timeout) as con:
        result = export_classifications(con, out, fmt.lower(), date, force)
    typer.echo(f"wrote {result.rows} rows (as of {result.as_of.isoformat()}) to {result.path}")
    typer.echo(f"described in {result.datapackage_path}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.command("init")(init)
    app.command("history")(history)
    app.command("export")(export)
