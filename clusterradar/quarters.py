"""Calendar quarters, the as-of unit of Clusterradar.

A quarterly run, a report and a diff are all named by a quarter such as ``2026Q4``. Its *as-of
date* is its last day: the classification in force on that day is "the classification of the
quarter", so exports and reports can be reproduced for any past quarter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from clusterradar import clock
from clusterradar.errors import InputError

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*$")


@dataclass(frozen=True, slots=True, order=True)
class Quarter:
    """One calendar quarter; ordered chronologically, printed as ``2026Q4``."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise InputError(f"quarter number must be 1..4, not {self.number}")
        if not 1900 <= self.year <= 9999:
            raise InputError(f"quarter year {self.year} is out of range")

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> dt.date:
        """First day of the quarter."""
        return dt.date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def end(self) -> dt.date:
        """Last day of the quarter."""
        return self.next().start - dt.timedelta(days=1)

    @property
    def as_of(self) -> dt.date:
        """The date whose effective classification belongs to this quarter: its last day."""
        return self.end

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def parse_quarter(text: str) -> Quarter:
    """``'2026Q4'`` (also ``2026-Q4``, ``2026q4``) → Quarter; InputError on anything else."""
    match = _QUARTER.match(text or "")
    if not match:
        raise InputError(f"not a quarter: {text!r} (expected e.g. 2026Q4)")
    return Quarter(int(match.group(1)), int(match.group(2)))


def normalise_quarter(text: str | None) -> str | None:
    """A quarter flag as stored in the warehouse (``'2026q4'`` → ``'2026Q4'``; None stays None).

    For commands that only pass the quarter on (e.g. ``classify --quarter``): validates it with
    the same one-line InputError as :func:`parse_quarter`, so no run is tagged ``banana``.
    """
    return None if text is None else str(parse_quarter(text))


def quarter_of(day: dt.date) -> Quarter:
    """The quarter a date falls in."""
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def current_quarter(today: dt.date | None = None) -> Quarter:
    return quarter_of(today or clock.today())


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """All quarters from `first` to `last`, both included (empty when first > last)."""
    found: list[Quarter] = []
    current = first
    while current <= last:
        found.append(current)
        current = current.next()
    return found
