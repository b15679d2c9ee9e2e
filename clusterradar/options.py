"""The CLI options several commands share, spelled once.

Every command that narrows work to some initiatives takes ``--cluster/-c`` (repeatable, commas
allowed); every command with progress bars takes ``--no-progress``; label files are
``--taxonomy`` and ``--labels-file``. Earlier releases spelled these ``--clusters`` and
``--quiet``/``-q``: those still work for one release as hidden aliases that print a note on
stderr, so scripts keep running while they are updated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import click
import typer

from clusterradar.settings import Settings, load_settings

ClusterIdOption = Annotated[
    list[str] | None,
    typer.Option(
        "--cluster",
        "-c",
        help="Cluster id: repeat the flag or separate ids by commas "
        "(-c a -c b, or -c a,b); default: all.",
    ),
]
ClusterIdAlias = Annotated[
    list[str] | None,
    typer.Option("--clusters", hidden=True, help="Old spelling of --cluster."),
]
NoProgressOption = Annotated[
    bool, typer.Option("--no-progress", help="No progress bars (summary only).")
]
QuietAlias = Annotated[
    bool, typer.Option("--quiet", "-q", hidden=True, help="Old spelling of --no-progress.")
]
LabelsFileOption = Annotated[
    Path | None,
    typer.Option(
        "--labels-file",
        help="Labelled-clusters YAML (default: the packaged labels/data/clusters.yaml).",
    ),
]
LabelsFileAlias = Annotated[
    Path | None,
    typer.Option("--clusters", hidden=True, help="Old spelling of --labels-file."),
]


def split_values(values: list[str] | None) -> list[str]:
    """Values of a repeatable option, each possibly comma-separated: ``-c a,b -c c`` ->
    ``[a, b, c]`` (order kept, duplicates and blanks dropped). Click cannot take
    ``--cluster a b`` (``b`` would be an extra argument), so the flag is repeated instead."""
    found: list[str] = []
    for value in values or []:
        for part in value.split(","):
            part = part.strip()
            if part and part not in found:
                found.append(part)
    return found


def _note_old_spelling(old: str, new: str) -> None:
    typer.echo(
        f"note: {old} is now spelled {new}; the old spelling goes in the next release", err=True
    )


def chosen_cluster_ids(current: list[str] | None, old: list[str] | None) -> list[str] | None:
    """The ids asked for with ``--cluster`` and the old ``--clusters`` together; None = all."""
    if old:
        _note_old_spelling("--clusters", "--cluster")
    return split_values([*(current or []), *(old or [])]) or None


def progress_off(current: bool, old_quiet: bool) -> bool:
    """True when ``--no-progress`` or the old ``--quiet``/``-q`` was given."""
    if old_quiet:
        _note_old_spelling("--quiet", "--no-progress")
    return current or old_quiet


def chosen_labels_file(current: Path | None, old: Path | None) -> Path | None:
    """The labelled-clusters file from ``--labels-file`` or the old ``--clusters``."""
    if old is not None:
        _note_old_spelling("--clusters", "--labels-file")
    return current if current is not None else old


def settings_of(ctx: click.Context) -> Settings:
    """The effective settings the root callback built (commands call this, never load_settings)."""
    root_ctx = ctx.find_root()
    if not isinstance(root_ctx.obj, Settings):
        root_ctx.obj = load_settings()
    return root_ctx.obj
