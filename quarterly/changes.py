"""The facts of a quarterly change report, read from the warehouse (no rendering here).

Each function answers one question the analysts ask every quarter; :func:`collect_report`
bundles them into a :class:`QuarterReport` that the HTML and Markdown renderers share, so
both versions always show the same numbers.

Conventions: "the quarter's registry crawl" is its newest registry crawl that saw any
initiative; "the quarter's site crawl" per cluster is its newest outcome/snapshots among the
site crawls tagged with the quarter. The intensity *of a cluster in a quarter* is the
classification in force on the quarter's as-of date or, where none is in force, the top
suggestion of the newest finished classification run of the quarter that classified that
cluster (marked as suggested; a partial rerun replaces only its own clusters).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import duckdb

from clusterradar.quarterly.diff import QuarterDiff, diff_quarters, top_suggestions
from clusterradar.quarters import Quarter, quarters_between
from clusterradar.warehouse.db import query
from clusterradar.warehouse.history import effective_at, utcnow
from clusterradar.warehouse.quarters import StageState, stage_states

UNREACHABLE_OUTCOMES = ("dns_error", "timeout", "http_error", "refused_private", "offsite_redirect")
INTENSITY = "intensity"


@dataclass(slots=True)
class ClusterFacts:
    cluster_id: str
    name: str
    bundeslaender: list[str]
    website: str | None


@dataclass(slots=True)
class SiteProblem:
    """A website that did not yield content this quarter, with last quarter's outcome."""

    cluster_id: str
    name: str
    outcome: str
    seed_url: str | None
    detail: str | None
    previous_outcome: str | None

    @property
    def unreachable(self) -> bool:
        return self.outcome in UNREACHABLE_OUTCOMES

    @property
    def newly_failing(self) -> bool:
        return self.previous_outcome == "ok"


@dataclass(slots=True)
class DifferingSuggestion:
    """A top suggestion of this quarter that the classification in force does not contain
    (`in_force` None: nothing is in force for that cluster and dimension yet)."""

    cluster_id: str
    name: str
    dimension: str
    suggested: str
    score: float
    in_force: list[str] | None
    suggestion_id: str


@dataclass(slots=True)
class SignalShare:
    """Share of a cluster's passages carrying SVI lexicon terms, this and last quarter."""

    cluster_id: str
    name: str
    passages: int
    signal_passages: int
    previous_passages: int | None
    previous_signal_passages: int | None

    @property
    def share(self) -> float:
        return self.signal_passages / self.passages if self.passages else 0.0

    @property
    def previous_share(self) -> float | None:
        if not self.previous_passages:
            return None
        return (self.previous_signal_passages or 0) / self.previous_passages

    @property
    def change(self) -> float | None:
        before = self.previous_share
        return None if before is None else self.share - before


@dataclass(slots=True)
class ReviewProgress:
    """The quarter's review queue and the decisions taken during the quarter."""

    run_id: str | None
    top_suggestions: int
    decided: int
    pending: int
    differing: int
    unclassified: int
    decisions_in_quarter: dict[str, int] = field(default_factory=dict)  # action -> count
    reviewers_in_quarter: dict[str, int] = field(default_factory=dict)  # reviewer -> count


@dataclass(slots=True)
class Confusion:
    """Suggested intensity (rows) against the reviewers' final label (columns)."""

    suggested: list[str]
    decided: list[str]
    counts: list[list[int]]

    @property
    def total(self) -> int:
        return sum(sum(row) for row in self.counts)


@dataclass(slots=True)
class QuarterReport:
    """Everything the change report shows for one quarter against the previous one."""

    quarter: Quarter
    previous: Quarter
    generated_at: dt.datetime
    stages: list[StageState]
    registry_compared: bool
    listed: int
    new: list[ClusterFacts]
    vanished: list[ClusterFacts]
    site_outcomes: dict[str, int]
    site_problems: list[SiteProblem]
    differing: list[DifferingSuggestion]  # a classification is in force and differs
    unclassified: list[DifferingSuggestion]  # nothing in force yet for (cluster, dimension)
    signal_shares: list[SignalShare]
    signal_threshold: float
    review: ReviewProgress
    intensity_by_cluster: dict[str, tuple[str, str]]  # cluster -> (label, 'in force'|'suggested')
    land_mix: dict[str, dict[str, int]]  # land slug -> intensity key -> clusters
    intensity_by_quarter: list[tuple[str, dict[str, int]]]
    confusion: Confusion
    diff: QuarterDiff

    @property
    def unreachable(self) -> list[SiteProblem]:
        return [p for p in self.site_problems if p.unreachable]

    @property
    def unclassified_intensity(self) -> list[DifferingSuggestion]:
        return [d for d in self.unclassified if d.dimension == INTENSITY]

    def unclassified_counts(self) -> dict[str, int]:
        return dict(Counter(d.dimension for d in self.unclassified))

    @property
    def noticeable_signal_changes(self) -> list[SignalShare]:
        found = [
            s
            for s in self.signal_shares
            if s.change is not None and abs(s.change) >= self.signal_threshold
        ]
        return sorted(found, key=lambda s: -abs(s.change or 0.0))


def cluster_facts(con: duckdb.DuckDBPyConnection) -> dict[str, ClusterFacts]:
    rows = con.execute(query("quarterly_cluster_names")).fetchall()
    return {r[0]: ClusterFacts(r[0], r[1], list(r[2] or []), r[3]) for r in rows}


def registry_listing(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> set[str] | None:
    """Clusters listed by the quarter's registry crawl; None when it had none."""
    rows = con.execute(query("quarterly_registry_clusters"), {"quarter": str(quarter)}).fetchall()
    return {r[0] for r in rows} if rows else None


def site_outcomes(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> dict[str, tuple]:
    rows = con.execute(query("quarterly_site_outcomes"), {"quarter": str(quarter)}).fetchall()
    return {r[0]: r[1:] for r in rows}


def signal_counts(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> dict[str, tuple[int, int]]:
    rows = con.execute(query("quarterly_signal_shares"), {"quarter": str(quarter)}).fetchall()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def intensity_of_clusters(
    con: duckdb.DuckDBPyConnection, quarter: Quarter
) -> dict[str, tuple[str, str]]:
    """Intensity per cluster in a quarter: in force on its as-of date, else suggested."""
    found: dict[str, tuple[str, str]] = {}
    for top in top_suggestions(con, quarter):
        if top.dimension == INTENSITY:
            found[top.cluster_id] = (top.label_key, "suggested")
    for version in effective_at(con, quarter.as_of, dimension=INTENSITY):
        if version.labels:
            found[version.cluster_id] = (version.labels[0], "in force")
    return found


def land_mix(
    facts: dict[str, ClusterFacts], intensity: dict[str, tuple[str, str]]
) -> dict[str, dict[str, int]]:
    """Per Land, clusters per intensity label (a multi-Land initiative counts in each Land)."""
    mix: dict[str, Counter] = defaultdict(Counter)
    for cluster_id, (label, _) in intensity.items():
        cluster = facts.get(cluster_id)
        for land in cluster.bundeslaender if cluster else []:
            mix[land][label] += 1
    return {land: dict(counts) for land, counts in sorted(mix.items())}


def review_progress(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> ReviewProgress:
    cursor = con.execute(
        query("quarterly_review_summary"), {"quarter": str(quarter), "as_of": quarter.as_of}
    )
    names = [d[0] for d in cursor.description]
    summary = dict(zip(names, cursor.fetchone(), strict=True))
    actions: Counter = Counter()
    reviewers: Counter = Counter()
    for row in _decisions(con, quarter.end + dt.timedelta(days=1)):
        if quarter.contains(row["decided_at"].date()):
            actions[row["action"]] += 1
            reviewers[row["reviewer"]] += 1
    return ReviewProgress(
        run_id=summary["run_id"],
        top_suggestions=int(summary["top_suggestions"] or 0),
        decided=int(summary["decided"] or 0),
        pending=int(summary["pending"] or 0),
        differing=int(summary["differing"] or 0),
        unclassified=int(summary["unclassified"] or 0),
        decisions_in_quarter=dict(actions),
        reviewers_in_quarter=dict(reviewers),
    )


def _decisions(con: duckdb.DuckDBPyConnection, until: dt.date) -> list[dict]:
    cursor = con.execute(query("quarterly_decisions"), {"until": until})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def intensity_confusion(
    con: duckdb.DuckDBPyConnection, until: dt.date, labels: list[str]
) -> Confusion:
    """Suggested vs reviewed intensity over all decisions before `until` (reject: 'rejected')."""
    counts: Counter = Counter()
    for row in _decisions(con, until):
        if row["dimension"] != INTENSITY or not row["suggested_label"]:
            continue
        if row["action"] == "reject":
            decided = "rejected"
        elif row["labels"]:
            decided = row["labels"][0]
        else:
            decided = row["suggested_label"]
        counts[(row["suggested_label"], decided)] += 1
    extra = sorted({k for pair in counts for k in pair} - set(labels) - {"rejected"})
    rows = [*labels, *extra]
    columns = [*labels, *extra, "rejected"]
    matrix = [[counts.get((r, c), 0) for c in columns] for r in rows]
    return Confusion(rows, columns, matrix)


def collect_report(
    con: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    *,
    intensity_labels: list[str],
    signal_threshold: float = 0.10,
    min_passages: int = 3,
    history_quarters: int = 6,
) -> QuarterReport:
    """Read every fact of the change report for `quarter` (compared with the one before)."""
    previous = quarter.previous()
    facts = cluster_facts(con)

    listed_now, listed_before = registry_listing(con, quarter), registry_listing(con, previous)
    now_ids, before_ids = listed_now or set(), listed_before or set()
    new = [facts[c] for c in sorted(now_ids - before_ids) if c in facts]
    vanished = [facts[c] for c in sorted(before_ids - now_ids) if c in facts]

    outcomes_now, outcomes_before = site_outcomes(con, quarter), site_outcomes(con, previous)
    problems = []
    for cluster_id, (outcome, seed_url, detail, _pages) in outcomes_now.items():
        if outcome in ("ok", "no_website"):
            continue
        before = outcomes_before.get(cluster_id)
        name = facts[cluster_id].name if cluster_id in facts else cluster_id
        problems.append(
            SiteProblem(cluster_id, name, outcome, seed_url, detail, before[0] if before else None)
        )
    problems.sort(key=lambda p: (not p.newly_failing, p.outcome, p.name.lower()))

    in_force = {(v.cluster_id, v.dimension): v.labels for v in effective_at(con, quarter.as_of)}
    differing = []
    for top in top_suggestions(con, quarter):
        current = in_force.get((top.cluster_id, top.dimension))
        same = current is not None and (
            current == [top.label_key] if top.dimension == INTENSITY else top.label_key in current
        )
        if not same:
            name = facts[top.cluster_id].name if top.cluster_id in facts else top.cluster_id
            differing.append(
                DifferingSuggestion(
                    top.cluster_id,
                    name,
                    top.dimension,
                    top.label_key,
                    top.score,
                    sorted(current) if current is not None else None,
                    top.suggestion_id,
                )
            )
    differing.sort(key=lambda d: (d.dimension != INTENSITY, d.name.lower(), d.dimension))
    unclassified = [d for d in differing if d.in_force is None]
    differing = [d for d in differing if d.in_force is not None]

    shares_now, shares_before = signal_counts(con, quarter), signal_counts(con, previous)
    shares = []
    for cluster_id, (passages, signal) in shares_now.items():
        before = shares_before.get(cluster_id)
        if passages < min_passages:
            continue
        if before is not None and before[0] < min_passages:
            before = None
        shares.append(
            SignalShare(
                cluster_id,
                facts[cluster_id].name if cluster_id in facts else cluster_id,
                passages,
                signal,
                before[0] if before else None,
                before[1] if before else None,
            )
        )
    shares.sort(key=lambda s: s.name.lower())

    intensity = intensity_of_clusters(con, quarter)
    history = []
    first = quarter
    for _ in range(history_quarters - 1):
        first = first.previous()
    for q in quarters_between(first, quarter):
        counts = Counter(label for label, _ in intensity_of_clusters(con, q).values())
        if counts or q == quarter:
            history.append((str(q), dict(counts)))

    return QuarterReport(
        quarter=quarter,
        previous=previous,
        generated_at=utcnow(),
        stages=stage_states(con, str(quarter)),
        registry_compared=listed_now is not None and listed_before is not None,
        listed=len(now_ids),
        new=new,
        vanished=vanished,
        site_outcomes=dict(Counter(o[0] for o in outcomes_now.values())),
        site_problems=problems,
        differing=differing,
        unclassified=unclassified,
        signal_shares=shares,
        signal_threshold=signal_threshold,
        review=review_progress(con, quarter),
        intensity_by_cluster=intensity,
        land_mix=land_mix(facts, intensity),
        intensity_by_quarter=history,
        confusion=intensity_confusion(con, quarter.end + dt.timedelta(days=1), intensity_labels),
        diff=diff_quarters(con, previous, quarter),
    )
