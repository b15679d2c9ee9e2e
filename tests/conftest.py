"""Shared test fixtures: real DuckDB files in temporary folders, the real CLI."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

# No test may reach a model hub or the internet.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Caches outside the warehouse (the use-static piece table) go to a temporary folder that
# subprocesses inherit too, never into the user's home.
os.environ["CLUSTERRADAR_CACHE_DIR"] = tempfile.mkdtemp(prefix="clusterradar-test-cache-")
atexit.register(shutil.rmtree, os.environ["CLUSTERRADAR_CACHE_DIR"], ignore_errors=True)

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


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """The app under uvicorn in a thread on a free loopback port, configured as
    `review serve` runs it (no proxy headers); yields its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def warehouse_at_schema(path: Path, version: int) -> None:
    """A warehouse file as migrate() made it when ``version`` was the latest migration."""
    import duckdb

    from clusterradar.warehouse.db import migrations

    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
            "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        for number, name, sql in migrations():
            if number <= version:
                con.execute(sql)
                con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [number, name])
