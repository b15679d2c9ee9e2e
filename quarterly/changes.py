"""The facts of a quarterly change report, read from the warehouse (no rendering here).

Each function answers one question the analysts ask every quarter; :func:`collect_report`
bundles them into a :class:`QuarterReport` that the HTML and Markdown renderers share, so
both versions always show the same numbers.

Conventions: "the quarter's registry crawl" is its newest registry crawl that saw any
initiative; "the quarter's site crawl" per cluster is its newest outcome/snapshots among the
site crawls tagged with the quarter. The intensity *of a cluster in a quarter* is the
classification in force on the quarter's as-of date or, where none is in force, the top
suggestion of the newest finished classification run of the quarter that classified that
cluster (marked as suggested; a partial rerun replaces only its own clusters). Review numbers
are :mod:`clusterradar.warehouse.review_counts`, the one definition the app and CLI share.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import duckdb

from clusterradar.quarterly.changed import ChangedCluster, changed_clusters
from clusterradar.quarterly.diff import QuarterDiff, diff_quarters, top_suggestions
from clusterradar.quarters import Quarter, quarters_between
from clusterradar.review.pages import load_pending
from clusterradar.review.queue import QueueFilters
from clusterradar.settings import ReviewSettings
from clusterradar.warehouse import quarter_facts
from clusterradar.warehouse.history import effective_at, utcnow
from clusterradar.warehouse.quarters import StageState, stage_states
from clusterradar.warehouse.records import ClusterRecord
from clusterradar.warehouse.review_counts import ReviewCounts, review_counts

UNREACHABLE_OUTCOMES = ("dns_error", "timeout", "http_error", "refused_private", "offsite_redirect")
INTENSITY = "intensity"

__all__ = ["ChangedCluster", "QuarterReport", "collect_report"]


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
class Confusion:
    """Suggested intensity (rows) against the reviewers' final label (columns)."""

    suggested: list[str]
    decided: list[str]
    counts: list[list[int]]

    @property
    def total(self) -> int:
        return sum(sum(row) for row in self.counts)


@dataclass(slots=True)
class IntensityMove:
    """A cluster whose intensity (in force, else suggested) differs from last quarter's.

    `kind`: 'up' (towards security), 'down' (towards civil), 'new' (none last quarter),
    'gone' (none this quarter)."""

    cluster_id: str
    name: str
    bundeslaender: list[str]
    before: str | None
    after: str | None
    kind: str


MOVE_KINDS = ("up", "down", "new", "gone")


@dataclass(slots=True)
class StageCost:
    """What one stage of the quarter's run took and produced (None: not applicable)."""

    stage: str
    status: str
    scope: str
    seconds: float | None
    initiatives: int | None
    pages: int | None
    passages: int | None
    suggestions: int | None
    finished_at: dt.datetime | None


@dataclass(slots=True)
class QuarterReport:
    """Everything the change report shows for one quarter against the previous one."""

    quarter: Quarter
    previous: Quarter
    generated_at: dt.datetime
    stages: list[StageState]
    registry_compared: bool
    listed: int
    new: list[ClusterRecord]
    vanished: list[ClusterRecord]
    site_outcomes: dict[str, int]
    site_problems: list[SiteProblem]
    differing: list[DifferingSuggestion]  # a classification is in force and differs
    unclassified: list[DifferingSuggestion]  # nothing in force yet for (cluster, dimension)
    signal_shares: list[SignalShare]
    signal_threshold: float
    review: ReviewCounts
    intensity_by_cluster: dict[str, tuple[str, str]]  # cluster -> (label, 'in force'|'suggested')
    land_mix: dict[str, dict[str, int]]  # land slug -> intensity key -> clusters
    moves: list[IntensityMove]
    intensity_by_quarter: list[tuple[str, dict[str, int]]]
    confusion: Confusion
    diff: QuarterDiff
    changed: list[ChangedCluster]
    costs: list[StageCost] = field(default_factory=list)

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

    @property
    def land_moves(self) -> dict[str, dict[str, int]]:
        """Per Land, moves per kind (a multi-Land initiative counts in each Land)."""
        found: dict[str, Counter] = defaultdict(Counter)
        for move in self.moves:
            for land in move.bundeslaender:
                found[land][move.kind] += 1
        return {land: dict(counts) for land, counts in sorted(found.items())}


def _name(facts: dict[str, ClusterRecord], cluster_id: str) -> str:
    return facts[cluster_id].name if cluster_id in facts else cluster_id


def site_problems(
    con: duckdb.DuckDBPyConnection, quarter: Quarter, facts: dict[str, ClusterRecord]
) -> tuple[dict[str, int], list[SiteProblem]]:
    """Outcome counts of the quarter's site crawls, and the sites that yielded no content."""
    now = quarter_facts.site_outcomes(con, str(quarter))
    before = quarter_facts.site_outcomes(con, str(quarter.previous()))
    problems = []
    for cluster_id, site in now.items():
        if site.outcome in ("ok", "no_website"):
            continue
        earlier = before.get(cluster_id)
        problems.append(
            SiteProblem(
                cluster_id,
                _name(facts, cluster_id),
                site.outcome,
                site.seed_url,
                site.detail,
                earlier.outcome if earlier else None,
            )
        )
    problems.sort(key=lambda p: (not p.newly_failing, p.outcome, p.name.lower()))
    return dict(Counter(site.outcome for site in now.values())), problems


def differing_suggestions(
    con: duckdb.DuckDBPyConnection, quarter: Quarter, facts: dict[str, ClusterRecord]
) -> list[DifferingSuggestion]:
    """Top suggestions the classification in force on the as-of date does not contain."""
    in_force = {(v.cluster_id, v.dimension): v.labels for v in effective_at(con, quarter.as_of)}
    differing = []
    for top in top_suggestions(con, quarter):
        current = in_force.get((top.cluster_id, top.dimension))
        same = current is not None and (
            current == [top.label_key] if top.dimension == INTENSITY else top.label_key in current
        )
        if not same:
            differing.append(
                DifferingSuggestion(
                    top.cluster_id,
                    _name(facts, top.cluster_id),
                    top.dimension,
                    top.label_key,
                    top.score,
                    sorted(current) if current is not None else None,
                    top.suggestion_id,
                )
            )
    differing.sort(key=lambda d: (d.dimension != INTENSITY, d.name.lower(), d.dimension))
    return differing


def signal_shares(
    con: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    facts: dict[str, ClusterRecord],
    min_passages: int,
) -> list[SignalShare]:
    """Signal shares of clusters with at least `min_passages` passages (both quarters)."""
    now = quarter_facts.signal_counts(con, str(quarter))
    before_all = quarter_facts.signal_counts(con, str(quarter.previous()))
    shares = []
    for cluster_id, (passages, signal) in now.items():
        before = before_all.get(cluster_id)
        if passages < min_passages:
            continue
        if before is not None and before[0] < min_passages:
            before = None
        shares.append(
            SignalShare(
                cluster_id,
                _name(facts, cluster_id),
                passages,
                signal,
                before[0] if before else None,
                before[1] if before else None,
            )
        )
    return sorted(shares, key=lambda s: s.name.lower())


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
    facts: dict[str, ClusterRecord], intensity: dict[str, tuple[str, str]]
) -> dict[str, dict[str, int]]:
    """Per Land, clusters per intensity label (a multi-Land initiative counts in each Land)."""
    mix: dict[str, Counter] = defaultdict(Counter)
    for cluster_id, (label, _) in intensity.items():
        cluster = facts.get(cluster_id)
        for land in cluster.bundeslaender if cluster else []:
            mix[land][label] += 1
    return {land: dict(counts) for land, counts in sorted(mix.items())}


def intensity_moves(
    facts: dict[str, ClusterRecord],
    before: dict[str, tuple[str, str]],
    after: dict[str, tuple[str, str]],
    scale: list[str],
) -> list[IntensityMove]:
    """Clusters whose intensity differs between two quarters; `scale` runs from the most
    security-oriented level to "no SVI relevance" (up = towards its start)."""
    moves = []
    for cluster_id in sorted(set(before) | set(after)):
        was = before[cluster_id][0] if cluster_id in before else None
        now = after[cluster_id][0] if cluster_id in after else None
        if was == now:
            continue
        if was is None:
            kind = "new"
        elif now is None:
            kind = "gone"
        elif was in scale and now in scale:
            kind = "up" if scale.index(now) < scale.index(was) else "down"
        else:
            kind = "up"
        cluster = facts.get(cluster_id)
        lands = cluster.bundeslaender if cluster else []
        moves.append(IntensityMove(cluster_id, _name(facts, cluster_id), lands, was, now, kind))
    return moves


def intensity_history(
    con: duckdb.DuckDBPyConnection, quarter: Quarter, quarters: int
) -> list[tuple[str, dict[str, int]]]:
    """Clusters per intensity label in the last `quarters` quarters (empty ones left out)."""
    first = quarter
    for _ in range(quarters - 1):
        first = first.previous()
    history = []
    for q in quarters_between(first, quarter):
        counts = Counter(label for label, _ in intensity_of_clusters(con, q).values())
        if counts or q == quarter:
            history.append((str(q), dict(counts)))
    return history


def quarter_review_counts(
    con: duckdb.DuckDBPyConnection, quarter: Quarter, settings: ReviewSettings
) -> ReviewCounts:
    """The quarter's review counts, with the open items read exactly as the queue reads them."""

    items = load_pending(con, settings, filters=QueueFilters(quarter=str(quarter)))
    return review_counts(con, str(quarter), (item.candidate for item in items))


def intensity_confusion(counts: ReviewCounts, labels: list[str]) -> Confusion:
    """Suggested vs reviewed intensity of the quarter's decided suggestions (reject:
    'rejected'), so its total is the intensity part of `counts.decided`."""
    pairs: Counter = Counter()
    for row in counts.concluded:
        if row.dimension != INTENSITY:
            continue
        if row.action == "reject":
            decided = "rejected"
        elif row.labels:
            decided = row.labels[0]
        else:
            decided = row.suggested_label
        pairs[(row.suggested_label, decided)] += 1
    extra = sorted({k for pair in pairs for k in pair} - set(labels) - {"rejected"})
    rows = [*labels, *extra]
    columns = [*labels, *extra, "rejected"]
    matrix = [[pairs.get((r, c), 0) for c in columns] for r in rows]
    return Confusion(rows, columns, matrix)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def stage_costs(stages: list[StageState]) -> list[StageCost]:
    """Seconds and output of each stage, from the numbers its 'done' event recorded."""
    costs = []
    for state in stages:
        stats = state.stats or {}
        outcomes = stats.get("outcomes")
        sites = sum(outcomes.values()) if isinstance(outcomes, dict) else None
        costs.append(
            StageCost(
                stage=state.stage,
                status=state.status,
                scope=state.scope,
                seconds=float(stats["stage_seconds"]) if "stage_seconds" in stats else None,
                initiatives=_int(stats.get("entries"))
                or sites
                or _int(stats.get("sites_extracted"))
                or _int(stats.get("clusters")),
                pages=_int(stats.get("pages")) or _int(stats.get("pages_extracted")),
                passages=_int(stats.get("passages_written")),
                suggestions=_int(stats.get("suggestions")),
                finished_at=state.finished_at,
            )
        )
    return costs


def collect_report(
    con: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    *,
    intensity_labels: list[str],
    signal_threshold: float = 0.10,
    min_passages: int = 3,
    history_quarters: int = 6,
    review: ReviewSettings | None = None,
) -> QuarterReport:
    """Read every fact of the change report for `quarter` (compared with the one before)."""
    review = review or ReviewSettings()
    previous = quarter.previous()
    facts = quarter_facts.cluster_facts(con)

    listed_now = quarter_facts.registry_listing(con, str(quarter))
    listed_before = quarter_facts.registry_listing(con, str(previous))
    now_ids, before_ids = listed_now or set(), listed_before or set()
    outcomes, problems = site_problems(con, quarter, facts)
    differing = differing_suggestions(con, quarter, facts)
    intensity = intensity_of_clusters(con, quarter)
    counts = quarter_review_counts(con, quarter, review)
    diff = diff_quarters(con, previous, quarter)
    stages = stage_states(con, str(quarter))
    return QuarterReport(
        quarter=quarter,
        previous=previous,
        generated_at=utcnow(),
        stages=stages,
        registry_compared=listed_now is not None and listed_before is not None,
        listed=len(now_ids),
        new=[facts[c] for c in sorted(now_ids - before_ids) if c in facts],
        vanished=[facts[c] for c in sorted(before_ids - now_ids) if c in facts],
        site_outcomes=outcomes,
        site_problems=problems,
        differing=[d for d in differing if d.in_force is not None],
        unclassified=[d for d in differing if d.in_force is None],
        signal_shares=signal_shares(con, quarter, facts, min_passages),
        signal_threshold=signal_threshold,
        review=counts,
        intensity_by_cluster=intensity,
        land_mix=land_mix(facts, intensity),
        moves=intensity_moves(
            facts, intensity_of_clusters(con, previous), intensity, intensity_labels
        ),
        intensity_by_quarter=intensity_history(con, quarter, history_quarters),
        confusion=intensity_confusion(counts, intensity_labels),
        diff=diff,
        changed=changed_clusters(con, diff, previous, quarter, facts),
        costs=stage_costs(stages),
    )
