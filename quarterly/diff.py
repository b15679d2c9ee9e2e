"""What changed between two quarters: classifications in force and the model's suggestions.

The classification of a quarter is the one in force on its as-of date (its last day; see
:mod:`clusterradar.quarters`), read with ``effective_at`` — so a diff of past
quarters is reproducible however much has been decided since. Suggestions are compared per
(cluster, dimension) by the top-ranked label of the newest finished run of each quarter that
classified that cluster, the same notion the review queue uses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from clusterradar.errors import NotFoundError
from clusterradar.quarters import Quarter
from clusterradar.warehouse import quarter_facts
from clusterradar.warehouse.history import effective_at
from clusterradar.warehouse.records import StoredSuggestion
from clusterradar.warehouse.review_pages import finished_runs

__all__ = [
    "ClassificationChange",
    "QuarterDiff",
    "SuggestionChange",
    "cluster_names",
    "diff_quarters",
    "require_runs",
    "top_suggestions",
]


@dataclass(slots=True)
class ClassificationChange:
    """A (cluster, dimension) whose labels in force differ between the two as-of dates."""

    cluster_id: str
    cluster_name: str
    dimension: str
    kind: str  # 'added' | 'removed' | 'changed'
    before: list[str] | None
    after: list[str] | None
    source: str | None
    decided_by: str | None
    valid_from: dt.date | None


@dataclass(slots=True)
class SuggestionChange:
    """A (cluster, dimension) whose top suggestion differs between the two quarters' runs."""

    cluster_id: str
    cluster_name: str
    dimension: str
    before: str | None
    after: str | None
    before_score: float | None
    after_score: float | None
    in_force: list[str] | None  # labels in force at the later as-of date
    # The earlier quarter's score of the label now ranked first (None: not ranked then).
    after_label_score_before: float | None = None
    before_suggestion_id: str | None = None
    after_suggestion_id: str | None = None

    @property
    def score_change(self) -> float | None:
        """How much more (or less) the model believes the label it now ranks first."""
        if self.after_score is None or self.after_label_score_before is None:
            return None
        return round(self.after_score - self.after_label_score_before, 3)


@dataclass(slots=True)
class QuarterDiff:
    """Classification and suggestion changes from one quarter to another."""

    from_quarter: str
    to_quarter: str
    from_as_of: dt.date
    to_as_of: dt.date
    from_run_id: str | None
    to_run_id: str | None
    classification_changes: list[ClassificationChange]
    suggestion_changes: list[SuggestionChange]

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for change in data["classification_changes"]:
            if change["valid_from"] is not None:
                change["valid_from"] = change["valid_from"].isoformat()
        data["from_as_of"] = self.from_as_of.isoformat()
        data["to_as_of"] = self.to_as_of.isoformat()
        return data


def cluster_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {c.cluster_id: c.name for c in quarter_facts.cluster_facts(con).values()}


def top_suggestions(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> list[StoredSuggestion]:
    """Top-ranked suggestion per (cluster, dimension), each from the newest finished run of the
    quarter that classified it (a partial rerun replaces only its own clusters)."""
    return quarter_facts.top_suggestions(con, str(quarter))


def classification_changes(
    con: duckdb.DuckDBPyConnection, before: dt.date, after: dt.date
) -> list[ClassificationChange]:
    """Every (cluster, dimension) whose labels in force differ between two dates."""
    names = cluster_names(con)
    old = {(v.cluster_id, v.dimension): v for v in effective_at(con, before)}
    new = {(v.cluster_id, v.dimension): v for v in effective_at(con, after)}
    changes = []
    for key in sorted(set(old) | set(new)):
        was, now = old.get(key), new.get(key)
        was_labels = sorted(was.labels) if was else None
        now_labels = sorted(now.labels) if now else None
        if was_labels == now_labels:
            continue
        kind = "added" if was is None else "removed" if now is None else "changed"
        latest = now or was
        changes.append(
            ClassificationChange(
                cluster_id=key[0],
                cluster_name=names.get(key[0], key[0]),
                dimension=key[1],
                kind=kind,
                before=was_labels,
                after=now_labels,
                source=latest.source if now else None,
                decided_by=latest.decided_by if now else None,
                valid_from=now.valid_from if now else None,
            )
        )
    return changes


def suggestion_changes(
    con: duckdb.DuckDBPyConnection, from_quarter: Quarter, to_quarter: Quarter
) -> tuple[str | None, str | None, list[SuggestionChange]]:
    """Top suggestions that differ between the two quarters' runs (appearing ones included)."""
    names = cluster_names(con)
    old_rows = top_suggestions(con, from_quarter)
    new_rows = top_suggestions(con, to_quarter)
    old = {(s.cluster_id, s.dimension): s for s in old_rows}
    new = {(s.cluster_id, s.dimension): s for s in new_rows}
    in_force = {(v.cluster_id, v.dimension): v.labels for v in effective_at(con, to_quarter.as_of)}
    old_scores = quarter_facts.ranked_scores(con, str(from_quarter))
    changes = []
    for key in sorted(set(old) | set(new)):
        was, now = old.get(key), new.get(key)
        if was and now and was.label_key == now.label_key:
            continue
        earlier = old_scores.get((*key, now.label_key)) if now else None
        changes.append(
            SuggestionChange(
                cluster_id=key[0],
                cluster_name=names.get(key[0], key[0]),
                dimension=key[1],
                before=was.label_key if was else None,
                after=now.label_key if now else None,
                before_score=round(was.score, 3) if was else None,
                after_score=round(now.score, 3) if now else None,
                in_force=sorted(in_force[key]) if key in in_force else None,
                after_label_score_before=round(earlier, 3) if earlier is not None else None,
                before_suggestion_id=was.suggestion_id if was else None,
                after_suggestion_id=now.suggestion_id if now else None,
            )
        )
    return newest_run(old_rows), newest_run(new_rows), changes


def newest_run(rows: list[StoredSuggestion]) -> str | None:
    """The newest classification run contributing to a quarter's top suggestions."""
    if not rows:
        return None
    return max(rows, key=lambda s: (s.run_finished_at or dt.datetime.min, s.run_id)).run_id


def diff_quarters(
    con: duckdb.DuckDBPyConnection, from_quarter: Quarter, to_quarter: Quarter
) -> QuarterDiff:
    """Classification changes between the quarters' as-of dates, plus differing suggestions."""
    from_run, to_run, suggested = suggestion_changes(con, from_quarter, to_quarter)
    return QuarterDiff(
        from_quarter=str(from_quarter),
        to_quarter=str(to_quarter),
        from_as_of=from_quarter.as_of,
        to_as_of=to_quarter.as_of,
        from_run_id=from_run,
        to_run_id=to_run,
        classification_changes=classification_changes(con, from_quarter.as_of, to_quarter.as_of),
        suggestion_changes=suggested,
    )


def require_runs(con: duckdb.DuckDBPyConnection, diff: QuarterDiff) -> QuarterDiff:
    """The diff, unless neither quarter has a finished classification run: then there is
    nothing to compare, and empty tables would read as "nothing changed" (NotFoundError,
    naming the quarters that do have runs)."""
    if diff.from_run_id is not None or diff.to_run_id is not None:
        return diff
    quarters = sorted({run.quarter for run in finished_runs(con) if run.quarter})
    hint = (
        f"quarters with runs: {', '.join(quarters)}"
        if quarters
        else "no quarter has one yet; run 'clusterradar run --quarter Q' first"
    )
    raise NotFoundError(
        f"no classification run in {diff.from_quarter} or {diff.to_quarter}, nothing to "
        f"compare ({hint})"
    )
