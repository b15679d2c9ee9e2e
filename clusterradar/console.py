"""One console factory for the command line's tables.

Width: ``COLUMNS`` when set (a script or a test can fix it), else the terminal's own width on a
tty, else a wide default (piped into a file or ``less``, a table should not be squeezed to 80
columns). Columns that hold ids are made ``no_wrap`` by the commands, so an id is never split.
rich is imported lazily: it is only needed when a table is printed.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from rich.console import Console

PIPED_WIDTH = 200


def console_width(stream=None) -> int | None:
    """The width tables get: COLUMNS, else None (rich asks the terminal), else PIPED_WIDTH."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return None if isatty is not None and isatty() else PIPED_WIDTH


def console(*, stderr: bool = False) -> Console:
    """A rich console for one command's output (stdout, or stderr for progress and notes)."""

    return Console(width=console_width(sys.stderr if stderr else sys.stdout), stderr=stderr)
