"""The review queue: which suggestions are pending, and which are most useful to review first.

Pure functions over rows (:class:`~clusterradar.warehouse.reviews.QueueCandidate`) and the
current effective classification, so the ordering is tested without a database.

A queue item is the top-ranked still-open suggestion of one (latest finished run, cluster,
dimension). For the single-label dimension (intensity) any concluded decision closes the whole
group: the alternatives of rank 2, 3, ... are not asked again. For the multi-label (thematic)
dimensions each label is decided on its own, and only labels scored at least ``min_score`` are
queued -- rank 1 included: a classifier always ranks *some* label first, and a rank-1 score of
0.09 is noise, not a finding (the cluster page still shows every suggestion). A cluster whose
intensity verdict is ``no_svi_relevance`` gets no thematic items at all: the verdict is the open
top intensity suggestion, or, once that dimension is decided, the intensity in force.

Order: suggestions that differ from the current effective classification first, then uncertain
ones (score below ``low_confidence``), then new clusters (no labels in force in any dimension),
then dimensions a known cluster was never classified in, then suggestions that merely confirm
what is in force. Within each group intensity comes before the thematic dimensions (it decides
whether the thematic ones matter at all), and the higher score first.

Initiatives the registry no longer lists (``clusters.missing_since`` set by the registry crawl)
leave the queue: their suggestions are not pending unless a reviewer asks for them with the
``dropped`` filter, and then they are marked "nicht mehr im Register".

After a decision or a skip the reviewer continues with the item that follows the decided one
in this order (:func:`next_after`), never with the top of the queue: the decided item is gone
from the queue by then, so its place is given by its sort key (:func:`position_key`).

The review app keeps the queue these rules give in memory and computes again only the
clusters whose review changed (:mod:`clusterradar.review.queue_index`, issue 17); the rules
work per cluster, which is what makes that possible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from clusterradar.labels import NO_SVI_RELEVANCE
from clusterradar.warehouse.review_counts import count_open
from clusterradar.warehouse.reviews import QueueCandidate

REASONS = ("differs", "low_confidence", "new_cluster", "unclassified", "confirms")
DIMENSION_ORDER = ("intensity", "function_logic", "application_fields", "svi_domains")
INTENSITY = "intensity"


@dataclass(slots=True)
class QueueFilters:
    """What a reviewer narrowed the queue to (None: no restriction). Run and quarter decide which
    run counts as latest and are applied when the candidates are read."""

    bundesland: str | None = None
    dimension: str | None = None
    label: str | None = None
    run_id: str | None = None
    quarter: str | None = None
    dropped: bool = False  # also initiatives the registry no longer lists

    def as_params(self) -> dict[str, str]:
        return {k: v for k, v in _filter_items(self) if v}


def _filter_items(filters: QueueFilters) -> Iterable[tuple[str, str | None]]:
    yield "bundesland", filters.bundesland
    yield "dimension", filters.dimension
    yield "label", filters.label
    yield "run", filters.run_id
    yield "quarter", filters.quarter
    yield "dropped", "1" if filters.dropped else None


@dataclass(slots=True)
class QueueItem:
    """One pending suggestion and why it sits where it sits."""

    candidate: QueueCandidate
    current_labels: list[str] | None
    reason: str
    awaiting_second: bool = False  # four-eyes: another reviewer decided, no agreement yet

    @property
    def suggestion_id(self) -> str:
        return self.candidate.suggestion_id


@dataclass(slots=True)
class Queue:
    """The ordered pending items after filtering, plus counts for the filter bar."""

    items: list[QueueItem]
    total_pending: int
    by_dimension: dict[str, int] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)
    by_bundesland: dict[str, int] = field(default_factory=dict)


QUEUE_PAGE_SIZE = 100  # rows the queue page lists at once (rendering 1,800 took 200 ms, issue 17)


@dataclass(slots=True)
class QueueWindow:
    """The part of the queue one page of the queue page lists; counts stay the whole queue's."""

    items: list[QueueItem]
    number: int  # this page, from 1
    pages: int
    first: int  # queue position of the first item listed, from 1 (0: nothing listed)
    last: int
    of: int = 0  # items in the (filtered) queue


def listed_window(
    listed: list[QueueItem], first: int, of: int, size: int = QUEUE_PAGE_SIZE
) -> QueueWindow:
    """The window of a queue of `of` items whose listed items start at position `first` (the
    caller chose and clamped the page: :func:`clusterradar.review.pages.load_queue_page`)."""
    pages = max(1, -(-of // size))
    number = min(max((first - 1) // size + 1, 1), pages)
    if not listed:
        return QueueWindow([], number, pages, 0, 0, of)
    return QueueWindow(listed, number, pages, first, first + len(listed) - 1, of)


def classify_reason(
    candidate: QueueCandidate,
    current: list[str] | None,
    *,
    multi_label: bool,
    low_confidence: float,
    cluster_classified: bool = False,
) -> str:
    """Why this suggestion deserves attention (one of REASONS). `cluster_classified`: the
    cluster has labels in force in some dimension (else it is a new cluster)."""
    if current is None:
        if not cluster_classified:
            return "new_cluster"
        return "low_confidence" if candidate.score < low_confidence else "unclassified"
    agrees = candidate.label_key in current if multi_label else current == [candidate.label_key]
    if not agrees:
        return "differs"
    if candidate.score < low_confidence:
        return "low_confidence"
    return "confirms"


def _open_in_group(
    group: list[QueueCandidate],
    *,
    multi_label: bool,
    viewer: str | None,
    four_eyes: bool,
    min_score: float,
) -> QueueCandidate | None:
    ordered = sorted(group, key=lambda c: c.rank)
    if not multi_label:
        if any(c.concluded for c in ordered):
            return None
        eligible = ordered[:1]
    else:
        eligible = [c for c in ordered if not c.concluded and c.score >= min_score]
    for candidate in eligible:
        if four_eyes and viewer is not None and viewer in candidate.reviewers:
            continue  # this reviewer already gave their half of the four eyes
        return candidate
    return None


def pending_items(
    candidates: Iterable[QueueCandidate],
    current: dict[tuple[str, str], list[str]],
    *,
    is_multi_label: Callable[[str], bool],
    viewer: str | None = None,
    four_eyes: bool = False,
    low_confidence: float = 0.6,
    min_score: float = 0.5,
    include_dropped: bool = False,
) -> list[QueueItem]:
    """Every pending item, most useful first (see the module docstring for the rules).
    Suggestions for initiatives dropped from the registry only with `include_dropped`."""
    groups: dict[tuple[str, str, str], list[QueueCandidate]] = {}
    for candidate in candidates:
        if candidate.dropped and not include_dropped:
            continue
        key = (candidate.run_id, candidate.cluster_id, candidate.dimension)
        groups.setdefault(key, []).append(candidate)
    classified = {cluster_id for cluster_id, _ in current}
    irrelevant = _without_svi_relevance(groups, current)
    items = []
    for (_, cluster_id, dimension), group in groups.items():
        multi = is_multi_label(dimension)
        if multi and cluster_id in irrelevant:
            continue
        top = _open_in_group(
            group, multi_label=multi, viewer=viewer, four_eyes=four_eyes, min_score=min_score
        )
        if top is None:
            continue
        labels = current.get((cluster_id, dimension))
        reason = classify_reason(
            top,
            labels,
            multi_label=multi,
            low_confidence=low_confidence,
            cluster_classified=cluster_id in classified,
        )
        items.append(QueueItem(top, labels, reason, awaiting_second=bool(top.reviewers)))
    items.sort(key=_sort_key)
    return items


def _without_svi_relevance(
    groups: dict[tuple[str, str, str], list[QueueCandidate]],
    current: dict[tuple[str, str], list[str]],
) -> set[str]:
    """Clusters whose intensity verdict is ``no_svi_relevance``: the top suggestion while the
    intensity dimension is still open, else the intensity in force."""
    verdicts: dict[str, list[str]] = {
        cluster_id: labels
        for (cluster_id, dimension), labels in current.items()
        if dimension == INTENSITY
    }
    for (_, cluster_id, dimension), group in groups.items():
        if dimension == INTENSITY and not any(c.concluded for c in group):
            verdicts[cluster_id] = [min(group, key=lambda c: c.rank).label_key]
    return {cluster_id for cluster_id, labels in verdicts.items() if labels == [NO_SVI_RELEVANCE]}


def _sort_key(item: QueueItem) -> tuple:
    return position_key(item.candidate, item.reason)


def position_key(c: QueueCandidate, reason: str) -> tuple:
    """Where a suggestion with this reason sits in the queue (smaller: earlier); also for a
    suggestion that has left the queue, so the queue can continue after it."""
    dim = DIMENSION_ORDER.index(c.dimension) if c.dimension in DIMENSION_ORDER else 99
    return (
        REASONS.index(reason) if reason in REASONS else len(REASONS),
        c.dimension != INTENSITY,
        -c.score,
        c.cluster_name.casefold(),
        dim,
        c.suggestion_id,
    )


def matches(item: QueueItem, filters: QueueFilters) -> bool:
    c = item.candidate
    if filters.bundesland and filters.bundesland not in c.bundeslaender:
        return False
    if filters.dimension and c.dimension != filters.dimension:
        return False
    return not (filters.label and c.label_key != filters.label)


def build_queue(items: list[QueueItem], filters: QueueFilters) -> Queue:
    """Filter the pending items; the counts describe the filtered queue."""
    shown = [item for item in items if matches(item, filters)]
    lands: Counter[str] = Counter()
    for item in shown:
        lands.update(item.candidate.bundeslaender)
    # The counts are defined once, in clusterradar.warehouse.review_counts (report, CLI, app).
    return Queue(
        items=shown,
        total_pending=count_open(item.candidate for item in items).total,
        by_dimension=count_open(item.candidate for item in shown).by_dimension,
        by_reason=dict(Counter(item.reason for item in shown)),
        by_bundesland=dict(sorted(lands.items())),
    )


def next_after(
    items: list[QueueItem], suggestion_id: str | None, after_key: tuple | None = None
) -> QueueItem | None:
    """The item after `suggestion_id` in queue order.

    When `suggestion_id` has left the queue (decided, or skipped by a colleague) and
    `after_key` gives its place (:func:`position_key` as the reviewer saw it), the first item
    placed after it; None at the end of the queue, so a reviewer never lands on the items
    before it again. Without a known place (no id, or an id never seen): the first item."""
    if not items:
        return None
    ids = [item.suggestion_id for item in items]
    if suggestion_id in ids:
        position = ids.index(suggestion_id) + 1
        return items[position] if position < len(items) else None
    if suggestion_id and after_key is not None:
        return next((item for item in items if _sort_key(item) > after_key), None)
    return items[0]
