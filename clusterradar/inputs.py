"""Checks of what users type on the command line, shared by every stage's commands.

Each check raises :class:`~clusterradar.errors.InputError` with one line that names the flag and
says what would be accepted, so a bad flag fails before anything is read or written.

Dates and quarters must lie in the span Clusterradar can say something about: not before
:data:`EARLIEST_DATE` (2020-01-01, before the cluster registry and the typology this tool
implements) and not in the future. "The future" for a date means after today; for a quarter it
means after the current quarter, because the running quarter is the default of every quarterly
command even though its as-of date (its last day) is still ahead.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from clusterradar import clock
from clusterradar.errors import InputError, WarehouseError
from clusterradar.quarters import Quarter, current_quarter, parse_quarter, quarter_of

EARLIEST_DATE = dt.date(2020, 1, 1)
EARLIEST_QUARTER = quarter_of(EARLIEST_DATE)
_DUCKDB_MAGIC = b"DUCK"  # at offset 8 of every DuckDB file


def check_date(day: dt.date, flag: str, *, today: dt.date | None = None) -> dt.date:
    """`day` when it lies between EARLIEST_DATE and today (both included)."""
    today = today or clock.today()
    if day > today:
        raise InputError(f"{flag} {day.isoformat()} is in the future; give a date up to today")
    if day < EARLIEST_DATE:
        raise InputError(
            f"{flag} {day.isoformat()} is before {EARLIEST_DATE.isoformat()}, "
            "earlier than any data Clusterradar keeps"
        )
    return day


def parse_date(text: str, flag: str, *, today: dt.date | None = None) -> dt.date:
    """A YYYY-MM-DD flag value within the range of :func:`check_date`."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{flag}: expected a date YYYY-MM-DD, got {text!r}") from None
    return check_date(day, flag, today=today)


def check_quarter(quarter: Quarter, flag: str, *, today: dt.date | None = None) -> Quarter:
    """`quarter` when it lies between EARLIEST_QUARTER and the current quarter (included)."""
    latest = current_quarter(today)
    if quarter > latest:
        raise InputError(
            f"{flag} {quarter} is in the future; the latest quarter is the current one, {latest}"
        )
    if quarter < EARLIEST_QUARTER:
        raise InputError(
            f"{flag} {quarter} is before {EARLIEST_QUARTER}, earlier than any data "
            "Clusterradar keeps"
        )
    return quarter


def parse_quarter_flag(text: str, flag: str, *, today: dt.date | None = None) -> Quarter:
    """A quarter flag such as ``2026Q4`` (also ``2026q4``) within :func:`check_quarter`'s range."""
    try:
        quarter = parse_quarter(text)
    except InputError as exc:
        raise InputError(f"{flag}: {exc}") from None
    return check_quarter(quarter, flag, today=today)


def check_warehouse_file(path: Path) -> None:
    """Refuse a ``--db`` that exists but cannot be a warehouse: a folder, an empty file, or a
    file without DuckDB's header. A path that does not exist yet passes (``init`` creates it;
    other commands then say to run ``init``)."""
    if not path.exists():
        return
    if path.is_dir():
        raise WarehouseError(f"warehouse {path} is a folder, not a DuckDB file")
    try:
        with path.open("rb") as handle:
            header = handle.read(12)
    except OSError as exc:
        raise WarehouseError(f"warehouse {path}: cannot read it ({exc.strerror})") from None
    if not header:
        raise WarehouseError(
            f"warehouse {path} is an empty file (0 bytes), not a DuckDB database; delete it and "
            "run 'clusterradar init', or point --db at an existing warehouse"
        )
    if len(header) < 12 or header[8:12] != _DUCKDB_MAGIC:
        raise WarehouseError(f"warehouse {path} is not a DuckDB file; refusing to touch it")
