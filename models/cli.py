"""Commands of the models stage (thin Typer shell; logic lives in plain functions)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from clusterradar.options import ClusterIdAlias, ClusterIdOption, chosen_cluster_ids, settings_of
from clusterradar.quarters import normalise_quarter


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.command("train")(train)
    app.command("classify")(classify)
    app.command("predict")(predict)
    app.command("evaluate")(evaluate)


def _settings(ctx: typer.Context):
    return settings_of(ctx)


def train(
    ctx: typer.Context,
    force: Annotated[
        bool, typer.Option("--force", help="Retrain even if an artefact for this input exists.")
    ] = False,
) -> None:
    """Train the classifier on today's labelled clusters and store it in the warehouse."""
    from clusterradar.models.train import train_model

    trained = train_model(_settings(ctx), force=force)
    state = "reused existing artefact" if trained.reused else "trained"
    typer.echo(
        f"{state}: model {trained.version} on {trained.n_examples} labelled clusters "
        f"(training data {trained.training_data_hash[:12]}, labels from {trained.source})"
    )


def classify(
    ctx: typer.Context,
    cluster: ClusterIdOption = None,
    clusters_alias: ClusterIdAlias = None,
    quarter: Annotated[
        str | None,
        typer.Option(
            "--quarter", help="Quarter the run belongs to, e.g. 2026Q4 (2026q4 is accepted)."
        ),
    ] = None,
) -> None:
    """Write suggestions (all four dimensions, with evidence) for clusters in the warehouse."""
    from clusterradar.models.classify import classify_clusters

    quarter = normalise_quarter(quarter)  # before any model work: '2026q4' → '2026Q4'
    result = classify_clusters(
        _settings(ctx),
        cluster_ids=chosen_cluster_ids(cluster, clusters_alias),
        quarter=quarter,
        progress=True,
    )
    state = "existing run (same quarter, model and input)" if result.reused else "run"
    typer.echo(
        f"{state} {result.run_id}: {result.suggestions} suggestions for {result.clusters} clusters "
        f"(model {result.model_version})"
    )
    if result.clusters_reused or result.clusters_carried_forward:
        typer.echo(
            f"copied from earlier runs: {result.clusters_reused} clusters unchanged, "
            f"{result.clusters_carried_forward} carried forward (website unreachable)"
        )


def predict(
    ctx: typer.Context,
    documents: Annotated[
        Path, typer.Option("--documents", help="JSON lines: {cluster, url, text|html}.")
    ],
    allow_unknown: Annotated[
        bool,
        typer.Option("--allow-unknown", help="Accept cluster keys that name no known cluster."),
    ] = False,
) -> None:
    """Print one JSON line per cluster of a documents file: suggestions and their evidence."""
    from clusterradar.models.predict import predict_documents, suggestions_as_json

    trained, results = predict_documents(_settings(ctx), documents, allow_unknown=allow_unknown)
    for result in results:
        typer.echo(json.dumps(suggestions_as_json(trained, result), ensure_ascii=False))


def evaluate(
    ctx: typer.Context,
    documents: Annotated[
        Path | None,
        typer.Option(
            "--documents", help="Predict each held-out cluster from these documents only."
        ),
    ] = None,
    civil: Annotated[
        list[Path] | None,
        typer.Option(
            "--civil",
            help="Documents of clearly civil clusters the gate must reject (repeatable).",
        ),
    ] = None,
    kept: Annotated[
        list[Path] | None,
        typer.Option(
            "--kept",
            help="Documents of clusters the gate must keep, e.g. enabler-technology sites "
            "(repeatable).",
        ),
    ] = None,
    crawled_only: Annotated[
        bool,
        typer.Option(
            "--crawled-only",
            help="Predict each held-out cluster from its crawled pages only (no table text).",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the metrics as one JSON object.")
    ] = False,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the report and confusion-matrix image.")
    ] = Path("evaluation"),
    models: Annotated[
        str | None,
        typer.Option("--models", help="Comma-separated subset, e.g. 'axes,prototype'."),
    ] = None,
) -> None:
    """Leave-one-cluster-out evaluation of the classifier against baselines (and the gate)."""
    from clusterradar.models.evaluate import evaluate as run_evaluation
    from clusterradar.models.report import render_text, write_confusion_png

    settings = _settings(ctx)
    only = [name.strip() for name in models.split(",") if name.strip()] if models else None
    report = run_evaluation(
        settings,
        documents_path=documents,
        civil_paths=list(civil or []),
        kept_paths=list(kept or []),
        only=only,
        progress=sys.stderr.isatty(),
        crawled_only=crawled_only,
    )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    out.mkdir(parents=True, exist_ok=True)
    text = render_text(report)
    (out / "evaluation.txt").write_text(text, encoding="utf-8")
    default = "axes" if "axes" in report.results else next(iter(report.results))
    image = write_confusion_png(
        report.results[default], out / "confusion_matrix.png", f"{default}, leave-one-out"
    )
    typer.echo(text)
    typer.echo(f"report: {out / 'evaluation.txt'}; confusion matrix ({default}): {image}")
