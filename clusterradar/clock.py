"""The one clock every stage reads: UTC.

Decisions are stamped with a UTC timestamp and take effect from its UTC date; the pages, the API,
exports and date checks must mean the same day by "today", or a decision made shortly after
midnight in Germany (still yesterday in UTC) would not show as in force on the page that made it.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Naive UTC timestamp, the warehouse's convention for TIMESTAMP columns."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def today() -> dt.date:
    """Today's date in UTC: the date a decision made now takes effect from."""
    return utcnow().date()
