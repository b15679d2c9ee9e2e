"""The `clusterradar` command: global options, error handling, and the stages' commands.

Each stage owns its commands in its own ``cli.py`` (a thin Typer shell around plain functions)
and registers them here; this module only wires them together.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from typer.core import TyperGroup

from clusterradar import __version__, texts
from clusterradar.crawler.cli import register as register_crawler
from clusterradar.demo.cli import register as register_demo
from clusterradar.errors import ClusterradarError
from clusterradar.inputs import check_warehouse_file
from clusterradar.labels.cli import register as register_labels
from clusterradar.models.cli import register as register_models
from clusterradar.options import settings_of
from clusterradar.pipeline.cli import register as register_pipeline
from clusterradar.quarterly.cli import register as register_quarterly
from clusterradar.review.api_cli import register as register_api_tokens
from clusterradar.review.cli import register as register_review
from clusterradar.settings import load_settings
from clusterradar.warehouse.cli import register as register_warehouse


class ClusterradarGroup(TyperGroup):
    """Turns our own errors into one line on stderr and a non-zero exit (trace with --debug)."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ClusterradarError as exc:
            if ctx.meta.get("clusterradar.debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:
            if not is_interrupt(exc):
                raise
            click.echo(INTERRUPTED, err=True)
            ctx.exit(130)
        except KeyboardInterrupt:
            click.echo(INTERRUPTED, err=True)
            ctx.exit(130)


INTERRUPTED = "interrupted; nothing half-written was kept. Rerun to continue."
# Commands that never open the --db file, so a broken one does not stop them.
COMMANDS_WITHOUT_WAREHOUSE = {"config", "labels", "demo"}


def is_interrupt(exc: BaseException) -> bool:
    """Ctrl-C surfaces as KeyboardInterrupt, or from inside a DuckDB query as its own
    InterruptException / a RuntimeError 'Query interrupted'."""
    if isinstance(exc, KeyboardInterrupt) or "interrupt" in type(exc).__name__.lower():
        return True
    return isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()


app = typer.Typer(
    name="clusterradar",
    cls=ClusterradarGroup,
    help="Classify German cluster initiatives by SVI / dual-use relevance from their web content.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"clusterradar {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="DuckDB warehouse file (env CLUSTERRADAR_DB; default ./clusterradar.duckdb).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML settings file (env CLUSTERRADAR_CONFIG; default ./clusterradar.toml).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show stack traces on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Global options apply to every command."""
    ctx.meta["clusterradar.debug"] = debug
    try:
        ctx.obj = load_settings(config_file=config, overrides={"db": db})
        texts.use_language(ctx.obj.ui.language)
        if ctx.invoked_subcommand not in COMMANDS_WITHOUT_WAREHOUSE:
            check_warehouse_file(ctx.obj.db)
    except ClusterradarError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        ctx.exit(exc.exit_code)


config_app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)


@config_app.command("show")
def config_show(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of TOML-like text.")
    ] = False,
) -> None:
    """Print the effective settings (defaults < file < environment < flags)."""
    data = settings_of(ctx).as_dict()
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for key, value in data.items():
        if not isinstance(value, dict):
            typer.echo(f"{key} = {json.dumps(value)}")
    for section, values in data.items():
        if isinstance(values, dict):
            typer.echo(f"\n[{section}]")
            for key, value in values.items():
                typer.echo(f"{key} = {json.dumps(value, ensure_ascii=False)}")


app.add_typer(config_app, name="config")


def _register_stages() -> None:
    for register in (
        register_warehouse,
        register_labels,
        register_crawler,
        register_pipeline,
        register_models,
        register_review,
        register_api_tokens,
        register_quarterly,
        register_demo,
    ):
        register(app)


_register_stages()


def main() -> None:
    """Console-script entry point."""
    command = typer.main.get_command(app)
    sys.exit(command.main(prog_name="clusterradar"))
