"""Locks across processes on small files beside the warehouse (``flock``).

Why ``flock`` and not the ``fcntl`` record locks DuckDB uses: a record lock belongs to the
*process*, and closing any descriptor of the file in that process drops it, even one opened
for a moment to read a header. An ``flock`` belongs to the open file description, so nothing
else this process opens or closes can take it away; the kernel drops it when the holder dies.

- :class:`FairLock` is the warehouse write lock: one process at a time holds the DuckDB file,
  granted in turns, with a bounded wait.
- :func:`hold_run` / :func:`run_is_alive` tell a crashed job's ``running`` row from a live one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from clusterradar.errors import WarehouseError

POLL_FIRST = 0.001  # seconds; the wait doubles up to POLL_CAP
POLL_CAP = 0.01


def lock_path(db_path: Path) -> Path:
    """The write lock of a warehouse file (``warehouse.duckdb.lock``)."""
    return db_path.with_name(db_path.name + ".lock")


def run_lock_path(db_path: Path, run_id: str) -> Path:
    """The liveness lock of one job run (``warehouse.duckdb.run-<id>.lock``)."""
    return db_path.with_name(f"{db_path.name}.run-{run_id}.lock")


def _open_lock_file(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _lock_before(fd: int, deadline: float) -> bool:
    """Take `fd`'s lock, polling until `deadline` (time.monotonic); False if it never came."""
    delay = POLL_FIRST
    while not _try_lock(fd):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(delay, left))
        delay = min(delay * 2, POLL_CAP)
    return True


def _who() -> str:
    command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv[:3]))
    return f"pid {os.getpid()}: {command}"[:200]


class FairLock:
    """An exclusive lock across processes, handed out in turns.

    Two files: ``<name>`` is the lock, ``<name>-queue`` a turnstile. A process first takes the
    turnstile, then the lock, then lets the turnstile go. So a process that is waiting for the
    lock holds the turnstile, and a holder that lets go and wants the lock back queues behind
    it instead of grabbing the lock again at once: no job can starve another. The holder sees
    a waiting process with :meth:`others_waiting` and can finish its turn early.

    One object per process and file; its methods are not thread-safe (the caller serialises).
    """

    def __init__(self, path: Path):
        self.path = path
        self.queue_path = path.with_name(path.name + "-queue")
        self._fd: int | None = None
        self._queue_fd: int | None = None
        self.held = False

    def _fds(self) -> tuple[int, int]:
        if self._fd is None or self._queue_fd is None:
            self._fd = _open_lock_file(self.path)
            self._queue_fd = _open_lock_file(self.queue_path)
        return self._fd, self._queue_fd

    def acquire(self, deadline: float) -> bool:
        """Wait (until `deadline`, time.monotonic) for the lock in turn; True once held."""
        fd, queue = self._fds()
        if not _lock_before(queue, deadline):
            return False
        try:
            got = _lock_before(fd, deadline)
        finally:
            fcntl.flock(queue, fcntl.LOCK_UN)
        if got:
            self.held = True
            with contextlib.suppress(OSError):  # who holds it, for the error of a waiter
                os.ftruncate(fd, 0)
                os.pwrite(fd, _who().encode(), 0)
        return got

    def release(self) -> None:
        if self.held and self._fd is not None:
            self.held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def others_waiting(self) -> bool:
        """Whether another process is queued for the lock (it holds the turnstile)."""
        _, queue = self._fds()
        if not _try_lock(queue):
            return True
        fcntl.flock(queue, fcntl.LOCK_UN)
        return False

    def holder(self) -> str:
        """Who took the lock last (pid and command), as far as it wrote it down."""
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").strip() or "unknown"
        except OSError:
            return "unknown"

    def forget(self) -> None:
        """In a forked child: drop the inherited descriptors without touching the parent's lock
        (they share the open file description, so unlocking here would unlock the parent)."""
        self._fd = self._queue_fd = None
        self.held = False


@contextlib.contextmanager
def hold_run(db_path: Path, run_id: str) -> Iterator[None]:
    """Hold the liveness lock of a job run while the job works on it.

    Taken before the run's row says ``running`` and given back after its final status is
    written: a ``running`` row whose lock nobody holds belongs to a process that died.
    Raises :class:`RunBusyError` when another live process holds this run.
    """
    path = run_lock_path(db_path, run_id)
    while True:
        fd = _open_lock_file(path)
        if not _try_lock(fd):
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise RunBusyError(run_id, holder)
        if _still_linked(fd, path):
            break
        os.close(fd)  # a checker removed the file between our open and our lock: again
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, _who().encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
    finally:
        os.close(fd)


def _still_linked(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def run_is_alive(db_path: Path, run_id: str) -> bool:
    """Whether a live process holds the run (see :func:`hold_run`). A run without a lock file
    (its process never took one, or died after cleaning up) is not alive."""
    path = run_lock_path(db_path, run_id)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        if not _try_lock(fd):
            return True
        with contextlib.suppress(OSError):
            path.unlink()  # the dead holder's leftover
        return False
    finally:
        os.close(fd)


class RunBusyError(WarehouseError):
    """Another live process is writing this run."""

    def __init__(self, run_id: str, holder: str):
        self.run_id, self.holder = run_id, holder
        super().__init__(
            f"run {run_id} is being written by another process ({holder}); wait for it to finish"
        )


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (ours, or one we may not signal)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
