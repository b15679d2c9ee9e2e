"""Replace a folder by a finished one in one step, so readers see the old contents or the new,
never a mix (an export's data files and its ``datapackage.json`` always belong together).

A writer fills a *staging* folder next to the target (same parent, so same filesystem) and then
calls :func:`publish`:

- no target yet: one ``rename`` of the staging folder;
- on Linux: ``renameat2(RENAME_EXCHANGE)`` swaps the two folders atomically; the staging name
  then holds the previous contents, which are deleted;
- elsewhere (or on filesystems without the exchange): the target is renamed to a *retired*
  name, the staging folder to the target, and the retired folder is deleted. A kill between
  those two renames leaves no target for a moment; :func:`recover` (called before the next
  write) renames the retired folder back.

Staging and retired folders carry the writer's process id; :func:`recover` removes those of
processes that no longer run. Durability across a power loss is not promised beyond fsyncing the
files and the parent folder before and after the swap.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import sys
import uuid
from pathlib import Path

from clusterradar.warehouse.locks import pid_alive

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>staging|retired)-(?P<pid>\d+)-[0-9a-f]{12}$")


def _leftover_name(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:12]}"

    return True


def _leftovers(target: Path) -> list[tuple[str, int, Path]]:
    """(kind, pid, path) of staging and retired folders of `target` whose writer is gone."""
    found = []
    if not target.parent.is_dir():
        return found
    for entry in target.parent.iterdir():
        match = _LEFTOVER.match(entry.name)
        if match and match["name"] == target.name and not pid_alive(int(match["pid"])):
            found.append((match["kind"], int(match["pid"]), entry))
    return found


def recover(target: Path) -> None:
    """Undo what a killed :func:`publish` left behind: put back a retired folder when the target
    is missing (the previous contents, complete), then delete the other leftovers."""
    leftovers = _leftovers(target)
    retired = [path for kind, _, path in leftovers if kind == "retired"]
    if retired and not target.exists():
        newest = max(retired, key=lambda path: path.stat().st_mtime_ns)
        os.rename(newest, target)
        retired.remove(newest)
    for _, _, path in leftovers:
        if path.exists() and path != target:
            shutil.rmtree(path, ignore_errors=True)


def staging_folder(target: Path) -> Path:
    """A new empty folder beside `target` to build its next contents in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    path = _leftover_name(target, "staging")
    path.mkdir()
    return path


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):  # folders cannot be opened for fsync everywhere
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2 RENAME_EXCHANGE).
    False where the system or filesystem cannot; other failures raise OSError."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(second))


def publish(staging: Path, target: Path) -> None:
    """Make the finished `staging` folder the `target` folder in one step (see the module)."""
    for entry in staging.iterdir():
        _fsync(entry)
    _fsync(staging)
    if not target.exists():
        os.rename(staging, target)
    elif exchange(staging, target):
        shutil.rmtree(staging)
    else:
        retired = _leftover_name(target, "retired")
        os.rename(target, retired)
        os.rename(staging, target)
        shutil.rmtree(retired)
    _fsync(target.parent)
