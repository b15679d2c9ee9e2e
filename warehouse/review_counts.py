"""The review counts, defined once. The quarterly report, the review app's queue page and the
CLI (``review list``, ``report``, the review stage of ``run``) all take their numbers from here,
so they cannot contradict each other.

Per quarter Q. *Q's suggestions* are the suggestions of Q's finished classification runs
(the run's ``quarter``). A decision belongs to the quarter of the suggestion it answers, not to
the date it was taken: accepting a 2026Q3 suggestion in November counts for 2026Q3, never as a
change of 2026Q4.

- **open** (*offen*): the items of the review queue (:mod:`clusterradar.review.queue`): per
  (cluster, dimension) of the newest run that classified it, the one suggestion the queue asks
  about next. Rank 1 for intensity while it is undecided; for a thematic dimension the best
  still-undecided label scored at least ``review.queue_min_score``, and nothing when the
  cluster's intensity is "no SVI relevance"; nothing for an initiative dropped from the
  registry (the queue's default view leaves those out). An item waiting for the second
  reviewer in four-eyes mode is open. Counted by :func:`count_open` from the queue's own
  items. One exception, for speed: the queue *page* of the review app applies the same rules
  in SQL (``queries/review_queue_page.sql``) to fetch only the listed page;
  ``tests/test_review_queue_page.py`` holds its items and counts equal to :func:`count_open`
  over the Python queue on randomised warehouses, so a rule changed in one place and not the
  other fails there.
- **decided** (*entschieden*): Q's suggestions whose review is concluded (a row in
  ``review_conclusions``): one per suggestion, however many reviewers took part.
- **accepted / overridden / rejected** (*angenommen / überstimmt / abgelehnt*): the decided
  suggestions by the action of the concluding decision; they add up to *decided*.
- **awaiting second** (*wartet auf zweite Prüfung*): Q's suggestions with a decision but no
  conclusion yet (four-eyes mode). They are neither decided nor, for the reviewer who already
  decided, in their queue.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from clusterradar.warehouse.db import query
from clusterradar.warehouse.reviews import QueueCandidate

ACTION_ORDER = ("accept", "override", "reject")


@dataclass(slots=True)
class OpenCounts:
    """Open queue items in total and by dimension and quarter (see the module docstring)."""

    total: int = 0
    by_dimension: dict[str, int] = field(default_factory=dict)
    by_quarter: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class DecidedSuggestion:
    """A suggestion of the quarter a reviewer decided (`concluded` False: awaiting second)."""

    suggestion_id: str
    cluster_id: str
    dimension: str
    suggested_label: str
    rank: int
    quarter: str | None
    concluded: bool
    action: str
    labels: list[str]
    reviewer: str
    decided_at: dt.datetime


@dataclass(slots=True)
class ReviewCounts:
    """The review numbers of one quarter, as every page and command prints them."""

    quarter: str
    open: OpenCounts
    decided_suggestions: list[DecidedSuggestion]

    @property
    def concluded(self) -> list[DecidedSuggestion]:
        return [d for d in self.decided_suggestions if d.concluded]

    @property
    def decided(self) -> int:
        return len(self.concluded)

    @property
    def by_action(self) -> dict[str, int]:
        """accept / override / reject -> decided suggestions (every action present, maybe 0)."""
        counts = Counter(d.action for d in self.concluded)
        return {action: counts.get(action, 0) for action in ACTION_ORDER}

    @property
    def accepted(self) -> int:
        return self.by_action["accept"]

    @property
    def overridden(self) -> int:
        return self.by_action["override"]

    @property
    def rejected(self) -> int:
        return self.by_action["reject"]

    @property
    def awaiting_second(self) -> int:
        return sum(1 for d in self.decided_suggestions if not d.concluded)

    @property
    def reviewers(self) -> dict[str, int]:
        """Reviewer of the concluding decision -> decided suggestions."""
        return dict(sorted(Counter(d.reviewer for d in self.concluded).items()))

    def as_dict(self) -> dict[str, object]:
        return {
            "quarter": self.quarter,
            "open": self.open.total,
            "open_by_dimension": self.open.by_dimension,
            "decided": self.decided,
            "accepted": self.accepted,
            "overridden": self.overridden,
            "rejected": self.rejected,
            "awaiting_second": self.awaiting_second,
        }

    def one_line(self) -> str:
        """The counts in one German line (report CLI, docs)."""
        return (
            f"Review {self.quarter}: offen {self.open.total} · entschieden {self.decided} "
            f"(angenommen {self.accepted}, überstimmt {self.overridden}, "
            f"abgelehnt {self.rejected}) · wartet auf zweite Prüfung {self.awaiting_second}"
        )


def count_open(items: Iterable[QueueCandidate]) -> OpenCounts:
    """Count the review queue's open items (pass the queue's candidates, nothing else)."""
    items = list(items)
    return OpenCounts(
        total=len(items),
        by_dimension=dict(Counter(c.dimension for c in items)),
        by_quarter=dict(Counter(c.quarter or "" for c in items)),
    )


def decided_suggestions(
    con: duckdb.DuckDBPyConnection, quarter: str | None
) -> list[DecidedSuggestion]:
    """Q's suggestions that a reviewer decided, oldest decision first (None: every quarter)."""
    cursor = con.execute(query("review_quarter_decided"), {"quarter": quarter})
    return [DecidedSuggestion(*row) for row in cursor.fetchall()]


def review_counts(
    con: duckdb.DuckDBPyConnection, quarter: str, open_items: Iterable[QueueCandidate]
) -> ReviewCounts:
    """The counts of `quarter`; `open_items` are the queue's items for that quarter."""
    return ReviewCounts(quarter, count_open(open_items), decided_suggestions(con, quarter))
