"""Command of the demo stage: `clusterradar demo` (thin Typer shell over demo.story)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusterradar.options import NoProgressOption, QuietAlias, progress_off


def demo_command(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for everything the demo makes.")
    ] = Path("demo-output"),
    force: Annotated[
        bool, typer.Option("--force", help="Replace an earlier demo in the same folder.")
    ] = False,
    max_pages: Annotated[
        int, typer.Option("--max-pages", min=1, help="Page budget per sample website.")
    ] = 8,
    no_progress: NoProgressOption = False,
    quiet_alias: QuietAlias = False,
) -> None:
    """Run two quarters offline against a bundled sample web (no network needed).

    Creates a fresh warehouse under --out, crawls a Clusterplattform-like portal and 40+
    initiative websites served on 127.0.0.1, classifies, accepts a few suggestions as reviewer
    'demo', changes the web, runs the next quarter and writes the change report, the diff and
    exports. The global --db flag is ignored: the demo always uses OUT/clusterradar.duckdb.
    """
    from clusterradar.demo.story import run_demo

    result = run_demo(
        out,
        force=force,
        progress=not progress_off(no_progress, quiet_alias),
        max_pages=max_pages,
        say=typer.echo,
    )
    db = result.db
    typer.echo("")
    typer.echo(f"Demo finished in {result.seconds:.0f} s. Everything is under {result.out_dir}/")
    typer.echo(f"  warehouse: {db}")
    for path in result.reports:
        typer.echo(f"  report:    {path}")
    typer.echo(f"  diff:      {result.diff_json}")
    for path in result.exports:
        typer.echo(f"  export:    {path}")
    typer.echo(f"  sample web (generated pages): {result.out_dir / 'web'}")
    typer.echo("")
    for action, clusters in result.decided.items():
        typer.echo(f"Reviewer 'demo' {action}: {', '.join(clusters) or 'nothing'}")
    typer.echo("Open the review app:")
    typer.echo(f"  clusterradar --db {db} review add-user analyst --admin")
    typer.echo(f"  clusterradar --db {db} review serve    # then http://127.0.0.1:8000/")
    earlier, later = result.quarters
    typer.echo("Explore further:")
    typer.echo(f"  clusterradar --db {db} diff --from {earlier} --to {later}")
    typer.echo(f"  clusterradar --db {db} history cyberforum")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.command("demo")(demo_command)
