"""Shared test fixtures: real DuckDB files in temporary folders, the real CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

# No test may reach a model hub or the internet.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A migrated, empty warehouse file (no labels loaded)."""
    from clusterradar.warehouse import migrate

    path = tmp_path / "warehouse.duckdb"
    migrate(path)
    return path


@pytest.fixture
def cli():
    """Run `clusterradar ARGS...` in-process; returns click's Result (exit_code, stdout, stderr)."""
    from clusterradar.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return runner.invoke(
            app, [str(a) for a in args], input=input, env=env, catch_exceptions=False
        )

    return run


@pytest.fixture
def labelled_db(db_path: Path) -> Path:
    """A migrated warehouse with the paper's 33 labelled clusters loaded, exactly as
    `clusterradar init` loads them (same function)."""
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    initialise_warehouse(db_path)
    return db_path
