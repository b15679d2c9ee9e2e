"""Commands of the labels stage: `labels check` and `labels show` (thin Typer shell)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer

from clusterradar.errors import InputError
from clusterradar.labels import load_labelled_clusters, load_taxonomy, validate_label_files
from clusterradar.options import LabelsFileAlias, LabelsFileOption, chosen_labels_file

labels_app = typer.Typer(
    help="The paper's typology and labelled clusters: validate and print them.",
    no_args_is_help=True,
)

TaxonomyOption = Annotated[
    Path | None,
    typer.Option(
        "--taxonomy", help="Taxonomy YAML (default: the packaged labels/data/taxonomy.yaml)."
    ),
]


@labels_app.command("check")
def check(
    taxonomy: TaxonomyOption = None,
    clusters: LabelsFileOption = None,
    clusters_alias: LabelsFileAlias = None,
) -> None:
    """Validate the label files; list every problem as 'file:line: message' and exit 1 if any."""

    clusters = chosen_labels_file(clusters, clusters_alias)
    problems = validate_label_files(taxonomy, clusters)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        typer.echo(f"{len(problems)} problem(s) found", err=True)
        raise typer.Exit(1)
    loaded_taxonomy = load_taxonomy(taxonomy)
    loaded = load_labelled_clusters(clusters, loaded_taxonomy)
    counts: dict[str, int] = {}
    for cluster in loaded:
        counts[cluster.intensity] = counts.get(cluster.intensity, 0) + 1
    per_level = ", ".join(
        f"{counts[k]} × {k}" for k in loaded_taxonomy.keys("intensity") if k in counts
    )
    categories = sum(len(d.categories) for d in loaded_taxonomy.dimensions)
    typer.echo(
        f"OK: taxonomy with {len(loaded_taxonomy.dimensions)} dimensions and "
        f"{categories} categories; "
        f"{len(loaded)} labelled clusters ({per_level})"
    )


@labels_app.command("show")
def show(
    taxonomy: TaxonomyOption = None,
    clusters: LabelsFileOption = None,
    clusters_alias: LabelsFileAlias = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    dimension: Annotated[
        str | None,
        typer.Option(
            "--dimension",
            help="Only this dimension: intensity, function_logic, application_fields, svi_domains.",
        ),
    ] = None,
) -> None:
    """Print the taxonomy and the paper's labelled clusters (rich tables or JSON)."""
    clusters = chosen_labels_file(clusters, clusters_alias)

    loaded_taxonomy = load_taxonomy(taxonomy)
    dimensions = loaded_taxonomy.dimensions
    if dimension is not None:
        try:
            dimensions = [loaded_taxonomy.dimension(dimension)]
        except KeyError as exc:
            raise InputError(f"--dimension: {exc.args[0]}") from exc
    labelled = (
        load_labelled_clusters(clusters, loaded_taxonomy)
        if dimension in (None, "intensity")
        else []
    )
    if as_json:
        payload = {
            "source": loaded_taxonomy.source,
            "dimensions": [dataclasses.asdict(d) for d in dimensions],
            "clusters": [dataclasses.asdict(c) for c in labelled],
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    _print_tables(dimensions, labelled, loaded_taxonomy)


def _print_tables(dimensions, labelled, taxonomy) -> None:
    from rich.table import Table  # rich loads lazily (clusterradar/lazy.py)

    from clusterradar.console import console as make_console

    console = make_console()
    for dim in dimensions:
        kind = "ordinal, single-label" if dim.ordinal else "multi-label"
        table = Table(title=f"{dim.label_de} ({dim.key}; {kind})", title_justify="left")
        table.add_column("level")
        table.add_column("key", no_wrap=True)
        for column in ("label_de", "label_en", "description"):
            table.add_column(column, overflow="fold")
        for cat in dim.categories:
            level = (
                str(cat.level) if cat.level is not None else ("–" if cat.paper else "not in paper")
            )
            table.add_row(level, cat.key, cat.label_de, cat.label_en, cat.description)
        console.print(table)
    if labelled:
        table = Table(title=f"Labelled clusters ({len(labelled)})", title_justify="left")
        table.add_column("id", no_wrap=True)
        for column in ("name", "Länder", "intensity", "go-cluster", "website"):
            table.add_column(column, overflow="fold")
        for cluster in labelled:
            table.add_row(
                cluster.id,
                cluster.name,
                ", ".join(cluster.bundeslaender),
                taxonomy.label_de("intensity", cluster.intensity) or cluster.intensity,
                "yes" if cluster.go_cluster else "",
                cluster.website or "(none)",
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.add_typer(labels_app, name="labels")
