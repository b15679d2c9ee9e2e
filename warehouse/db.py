"""Opening, migrating and locking the DuckDB warehouse.

DuckDB allows one writing process per file (a process holding the file read-write also blocks
readers elsewhere), and its lock is an ``fcntl`` record lock: it belongs to the process, and
closing *any* descriptor of the file in that process silently drops it. Issue 14 lost
confirmed review decisions that way: a request thread opened the file for a moment while
another request held it, the lock was gone, and a running ``classify`` opened the file too.
Two rules make that impossible (see docs/concurrency.md):

- **One DuckDB instance per process and file**, shared by its threads. :func:`connect` hands
  each unit of work its own cursor (a connection to that instance, with its own transaction)
  and the instance is closed when the last unit of work ends, so other processes get their
  turn. A unit of work may ask the instance to *linger* a bounded time after it (the review
  app does: opening and checkpointing cost more than a page's queries); a lingering instance
  closes at once when another process queues for the file. Nothing else in the process opens
  the file while an instance is open.
- **An inter-process write lock** (:class:`~clusterradar.warehouse.locks.FairLock`, an
  ``flock`` on ``<file>.lock``) taken before the instance opens and released after it has
  closed (checkpoint included). Waiting for it is bounded by ``timeout`` and fair: a process
  that holds the file for a while yields it to a waiting process before taking new work.

Long jobs (crawls, classification runs) still write in short batches, so the review web app
and a running job interleave instead of locking each other out.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb

from clusterradar.errors import WarehouseError, WarehouseLockedError
from clusterradar.warehouse.locks import FairLock, lock_path

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


@functools.cache
def latest_schema_version() -> int:
    return migrations()[-1][0]


@functools.cache
def query(name: str) -> str:
    """The text of ``warehouse/queries/<name>.sql``, read once per process."""
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


# DuckDB checkpoints the write-ahead log into the file whenever it passes this size (its default
# is 16 MB). The pipeline writes hundreds of MB per quarter in short transactions (vectors of
# 2 KB each, issue 17), and every checkpoint rewrites the growing primary-key index and the
# touched row groups: writing 137k vectors in 2,048-row transactions cost 17 s of CPU with the
# default and 8 s with a threshold larger than the batch, and left a file 1.7 times larger.
# The price is a longer checkpoint when an instance closes (at most this much log, about 1.5 s
# per 128 MB on the 2-core machine), which a process waiting for its turn waits for.
CHECKPOINT_THRESHOLD = "128MB"
FAIR_TURN = 0.2  # seconds a process keeps the file before it yields to a waiting process
LINGER_POLL = 0.01  # seconds between two looks for a waiting process while an instance lingers


class _Warehouse:
    """The one DuckDB instance this process holds on one file, shared by its threads.

    Opened by the first unit of work (after the inter-process lock is held), closed by the
    last one (before the lock is released). A unit of work that starts while the instance has
    been open for :data:`FAIR_TURN` and another process waits for the file queues until the
    instance has closed, so the waiting process gets its turn; a thread already inside a unit
    of work never waits (nested `connect` calls cannot deadlock).

    A unit of work that ends with ``linger`` keeps the instance open (and the file locked) up
    to that long after it, for the next unit of work, while no other process waits: a watcher
    thread looks every :data:`LINGER_POLL` seconds and closes the idle instance as soon as one
    queues for the file, or when the time is up.
    """

    def __init__(self, path: Path):
        self.path = path
        self.lock = FairLock(lock_path(path))
        self.cond = threading.Condition()
        self.instance: duckdb.DuckDBPyConnection | None = None
        self.users = 0
        self.opening = False
        self.yielding = False
        self.opened_at = 0.0
        self.schema: int | None = None  # schema version seen since the instance opened
        self.depth = threading.local()  # open units of work of the current thread
        self.idle_until = 0.0  # a lingering instance closes then at the latest
        self.watcher: threading.Thread | None = None

    def lease(self, timeout: float) -> duckdb.DuckDBPyConnection:
        """A cursor of the shared instance, opening it first if needed (waits <= timeout)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                mine = getattr(self.depth, "n", 0)
                if self.instance is not None and (mine > 0 or not self._turn_is_over()):
                    return self._enter(mine)
                if self.instance is None and not self.opening:
                    self.opening = True
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._locked(timeout)
                self.cond.wait(left)
        try:
            instance = self._open(deadline, timeout)
        except BaseException:
            with self.cond:
                self.opening = False
                self.cond.notify_all()
            raise
        with self.cond:
            self.instance, self.opening, self.yielding = instance, False, False
            self.schema = None
            self.opened_at = time.monotonic()
            self.cond.notify_all()
            return self._enter(mine)

    def _enter(self, mine: int) -> duckdb.DuckDBPyConnection:
        cursor = self.instance.cursor()
        self.users += 1
        self.depth.n = mine + 1
        return cursor

    def release(self, cursor: duckdb.DuckDBPyConnection, linger: float = 0.0) -> None:
        """End one unit of work. The last one closes the instance and lets the file go, or,
        with `linger` > 0 and no other process waiting, leaves that to the watcher."""
        with self.cond:
            try:
                cursor.close()
            finally:
                self.users -= 1
                self.depth.n = getattr(self.depth, "n", 1) - 1
                if self.users == 0:
                    if linger > 0 and not self.yielding and not self.lock.others_waiting():
                        self.idle_until = time.monotonic() + linger
                        self._watch()
                    else:
                        self._close()

    def _close(self) -> None:
        """Close the instance (the caller holds ``cond`` and no unit of work is open)."""
        instance, self.instance = self.instance, None
        try:
            instance.close()  # checkpoints; the lock is still ours meanwhile
        finally:
            self.lock.release()
            self.cond.notify_all()

    def _watch(self) -> None:
        if self.watcher is None:
            self.watcher = threading.Thread(
                target=self._watch_idle, name=f"linger {self.path.name}", daemon=True
            )
            self.watcher.start()

    def _watch_idle(self) -> None:
        """Close the idle instance when another process waits or its lingering time is up."""
        with self.cond:
            try:
                while self.instance is not None:
                    if self.users == 0 and (
                        self.yielding
                        or time.monotonic() >= self.idle_until
                        or self.lock.others_waiting()
                    ):
                        self._close()
                        break
                    self.cond.wait(LINGER_POLL)
            finally:
                self.watcher = None

    def close_if_idle(self) -> None:
        """Close a lingering instance now (at exit; a no-op while units of work are open)."""
        with self.cond:
            if self.instance is not None and self.users == 0:
                self._close()

    def _turn_is_over(self) -> bool:
        if not self.yielding and time.monotonic() - self.opened_at >= FAIR_TURN:
            self.yielding = self.lock.others_waiting()
        return self.yielding

    def _open(self, deadline: float, timeout: float) -> duckdb.DuckDBPyConnection:
        if not self.lock.acquire(deadline):
            raise self._locked(timeout)
        try:
            # No instance of this file is open in this process now, so reading its header
            # cannot drop a DuckDB lock of ours.
            _check_file(self.path)
            return _open_instance(self.path, deadline, timeout)
        except BaseException:
            self.lock.release()
            raise

    def _locked(self, timeout: float) -> WarehouseLockedError:
        return WarehouseLockedError(
            f"{self.path} is held by another process ({self.lock.holder()}) for more than "
            f"{timeout:.0f}s; try again when the running job has finished"
        )


def _open_instance(path: Path, deadline: float, timeout: float) -> duckdb.DuckDBPyConnection:
    """Open the file read-write, retrying while a process outside our lock protocol (a DuckDB
    shell, an older clusterradar) holds it. DuckDB refuses a read-only next to a read-write
    instance of one file in one process, so the shared instance is always read-write."""
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), config={"checkpoint_threshold": CHECKPOINT_THRESHOLD})
        except duckdb.Error as exc:
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
            delay = min(delay * 2, 0.1)


_WAREHOUSES: dict[str, _Warehouse] = {}
_WAREHOUSES_LOCK = threading.Lock()
_INHERITED: list[_Warehouse] = []


def _warehouse(path: Path) -> _Warehouse:
    key = os.path.realpath(path)  # one instance per file, however the caller spells its path
    with _WAREHOUSES_LOCK:
        found = _WAREHOUSES.get(key)
        if found is None:
            found = _WAREHOUSES[key] = _Warehouse(Path(key))
        return found


def _forget_after_fork() -> None:
    """A forked child must neither use nor close its parent's instance and locks: keep them
    referenced (closing would checkpoint the parent's file) and start afresh."""
    for warehouse in _WAREHOUSES.values():
        warehouse.lock.forget()
        _INHERITED.append(warehouse)
    _WAREHOUSES.clear()
    global _WAREHOUSES_LOCK
    _WAREHOUSES_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


@atexit.register
def _close_lingering() -> None:
    """A process that ends while an instance lingers closes it (checkpoint included) first."""
    for warehouse in list(_WAREHOUSES.values()):
        warehouse.close_if_idle()


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
    linger: float = 0.0,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for one short unit of work; ends it afterwards.

    Yields a cursor of this process's one instance of the file (see the module docstring);
    waits up to ``timeout`` seconds for another process's turn to end, else raises
    :class:`WarehouseLockedError`. With ``require_schema`` (the default) the file must exist and
    carry exactly the schema this code knows; otherwise a :class:`WarehouseError` tells the
    user to run ``clusterradar init``. ``read_only`` documents the caller's intent only.
    With ``linger`` seconds, the instance stays open that long after the last unit of work
    for the next one, unless another process waits for the file (see :class:`_Warehouse`).
    """
    path = Path(path)
    if require_schema and not path.exists():
        raise WarehouseError(f"{path} does not exist; run 'clusterradar init' first")
    if path.is_dir():
        raise WarehouseError(f"{path} is a directory, not a DuckDB file")
    warehouse = _warehouse(path)
    con = warehouse.lease(timeout)
    try:
        if require_schema:
            if warehouse.schema is None:  # once per opening: no other process migrates meanwhile
                warehouse.schema = schema_version(con)
            found, latest = warehouse.schema, latest_schema_version()
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
        warehouse.release(con, linger)


def turn_is_over(path: Path | str) -> bool:
    """Whether another process waits for the file and this process has had its fair turn.

    A long job may keep one unit of work open across many batches (reopening the file per batch
    costs more than the batch, issue 17) if it ends that unit of work between batches when this
    says so; its next ``connect`` then waits until the other process has had its turn.
    """
    warehouse = _warehouse(Path(path))
    with warehouse.cond:
        return warehouse.instance is not None and warehouse._turn_is_over()


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
        _warehouse(path).schema = None  # migrated: the next unit of work looks again
        return (applied[-1] if applied else current), applied
