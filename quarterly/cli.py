"""Commands of the quarterly stage (thin Typer shell; logic lives in plain functions)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
