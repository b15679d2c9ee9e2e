"""Opening, migrating and locking the DuckDB warehouse.

DuckDB allows one writing process per file, and a process holding the file read-write also
blocks readers in other processes. Clusterradar therefore never holds a connection for long:
every unit of work opens the file through :func:`connect`, which retries while another process
holds the lock (up to ``timeout`` seconds), does its work in a transaction, and closes again.
Long jobs (crawls, classification runs) write in short batches, so the review web app and a
running job interleave instead of locking each other out.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb

from clusterradar.errors import WarehouseError, WarehouseLockedError

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_DUCKDB_MAGIC = b"DUCK"


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped with the package, as (version, name, sql), in order."""
    found = []
    for entry in resources.files("clusterradar.warehouse").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise WarehouseError("two migrations share a number; this is a packaging bug")
    return found


def latest_schema_version() -> int:
    return migrations()[-1][0]


def query(name: str) -> str:
    """The text of ``warehouse/queries/<name>.sql``."""
    path = resources.files("clusterradar.warehouse").joinpath("queries", f"{name}.sql")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise WarehouseError(f"no query named {name!r}; this is a packaging bug") from exc


def _looks_like_duckdb(path: Path) -> bool:
    """DuckDB files carry the magic bytes 'DUCK' at offset 8."""
    with path.open("rb") as handle:
        header = handle.read(12)
    return len(header) >= 12 and header[8:12] == _DUCKDB_MAGIC


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def _open(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.Error) as exc:
            if not _is_lock_error(exc):
                raise WarehouseError(
                    f"{path}: cannot open DuckDB file ({_first_line(exc)})"
                ) from exc
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"{path} is locked by another process for more than {timeout:.0f}s; "
                    "try again when the running job has finished"
                ) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.1)  # short cap: a waiting writer must not starve


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """0 for an empty database, else the highest applied migration."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def _check_file(path: Path) -> None:
    if path.exists():
        if path.is_dir():
            raise WarehouseError(f"{path} is a directory, not a DuckDB file")
        if path.stat().st_size > 0 and not _looks_like_duckdb(path):
            raise WarehouseError(f"{path} is not a DuckDB file; refusing to touch it")


@contextlib.contextmanager
def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    timeout: float = 30.0,
    require_schema: bool = True,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for one short unit of work; closes the connection afterwards.

    With ``require_schema`` (the default) the file must exist and carry exactly the schema this
    code knows; otherwise a :class:`WarehouseError` tells the user to run ``clusterradar init``.
    """
    path = Path(path)
    if require_schema and not path.exists():
        raise WarehouseError(f"{path} does not exist; run 'clusterradar init' first")
    _check_file(path)
    # DuckDB refuses a read-only and a read-write connection to one file inside one process
    # (e.g. the review app's request threads next to an export). Connections are short-lived
    # anyway, so every connection is opened read-write; `read_only` documents the caller's intent.
    con = _open(path, False, timeout)
    try:
        if require_schema:
            found, latest = schema_version(con), latest_schema_version()
            if found > latest:
                raise WarehouseError(
                    f"{path} has schema version {found}, newer than this clusterradar knows "
                    f"({latest}); upgrade clusterradar"
                )
            if found < latest:
                raise WarehouseError(
                    f"{path} has schema version {found}, this clusterradar needs {latest}; "
                    "run 'clusterradar init' to migrate"
                )
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing: a crash or Ctrl-C inside leaves no half-written rows."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


def migrate(path: Path | str, *, timeout: float = 30.0) -> tuple[int, list[int]]:
    """Create or migrate the warehouse; returns (version now, migrations applied).

    A file of a newer schema, or one that is not DuckDB, is refused before anything changes.
    """
    path = Path(path)
    _check_file(path)
    if not path.parent.exists():
        raise WarehouseError(f"folder {path.parent} does not exist")
    with connect(path, timeout=timeout, require_schema=False) as con:
        current = schema_version(con)
        known = migrations()
        latest = known[-1][0]
        if current > latest:
            raise WarehouseError(
                f"{path} has schema version {current}, newer than this clusterradar knows "
                f"({latest}); upgrade clusterradar"
            )
        if current == 0:
            tables = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchone()[0]
            if tables:
                raise WarehouseError(
                    f"{path} is a DuckDB file with other tables but no clusterradar schema; "
                    "refusing to touch it"
                )
        applied: list[int] = []
        for version, name, sql in known:
            if version <= current:
                continue
            with transaction(con):
                if version == 1:
                    con.execute(
                        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                        "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
                    )
                con.execute(sql)
                con.execute(
                    "INSERT INTO schema_version VALUES (?, ?, now()::TIMESTAMP)", [version, name]
                )
            applied.append(version)
        return (applied[-1] if applied else current), applied
