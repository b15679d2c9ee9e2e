"""The records passed between the stages, each defined once (frozen dataclasses).

They map the warehouse tables they come from or go to: a :class:`ClusterRecord` is a row of
``clusters``, an :class:`Evidence` a row of ``suggestion_evidence`` (without its suggestion id),
a :class:`Suggestion` what ``classify`` computes for one label before it is stored, a
:class:`StoredSuggestion` a row of ``suggestions``, a :class:`ReviewDecision` a row of
``review_decisions``, an :class:`AxisScoreRecord` a row of ``axis_scores`` (migration
0008) and a :class:`PageSnapshot` a row of ``page_snapshots``. A page or report that needs
more wraps a record; it never copies the fields into a look-alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(slots=True, frozen=True)
class Evidence:
    """A passage a reviewer can read, and why it supports a suggestion or an axis score."""

    rank: int
    url: str | None
    snapshot_id: str | None
    passage: str
    reason: str
    score: float | None


@dataclass(slots=True, frozen=True)
class Suggestion:
    """One label for one cluster in one dimension, with a score in [0, 1] and its rank."""

    dimension: str
    label_key: str
    score: float
    rank: int
    evidence: tuple[Evidence, ...] = ()


@dataclass(slots=True, frozen=True)
class ClusterSuggestion:
    """A :class:`Suggestion` of one cluster, as ``classify`` writes it into a run."""

    cluster_id: str
    suggestion: Suggestion


@dataclass(slots=True, frozen=True)
class StoredSuggestion:
    """A suggestion as stored: a row of ``suggestions`` with its run's quarter (and, where a
    reader compares runs, when the run finished; None where it was not read)."""

    suggestion_id: str
    run_id: str
    cluster_id: str
    dimension: str
    label_key: str
    score: float
    rank: int
    model_version: str
    quarter: str | None = None
    run_finished_at: dt.datetime | None = None


@dataclass(slots=True, frozen=True)
class ReviewDecision:
    """One reviewer's decision on one suggestion: a row of ``review_decisions`` (append-only)."""

    decision_id: str
    suggestion_id: str | None
    cluster_id: str
    dimension: str
    action: str
    labels: list[str]
    reviewer: str
    decided_at: dt.datetime
    comment: str | None = None


@dataclass(slots=True, frozen=True)
class ClusterRecord:
    """One row of ``clusters``: what the registry says about an initiative today."""

    cluster_id: str
    name: str
    origin: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    alt_names: list[str] = field(default_factory=list)
    bundeslaender: list[str] = field(default_factory=list)
    website: str | None = None
    registry_profile_url: str | None = None
    go_cluster: bool | None = None
    technologiefelder: list[str] = field(default_factory=list)
    foerdermassnahmen: list[str] = field(default_factory=list)
    missing_since: dt.datetime | None = None
    created_at: dt.datetime | None = None

    @property
    def in_go_cluster(self) -> bool:
        """Member of go-cluster: the registry's flag or a go-cluster Fördermaßnahme."""
        return bool(self.go_cluster) or any(
            "go-cluster" in (f or "").lower() for f in self.foerdermassnahmen or []
        )


@dataclass(slots=True, frozen=True)
class AxisScoreRecord:
    """A cluster's two axis scores in one classification run, with the top passages of each.

    ``passages_hash`` is the content hash of the passage set the scores were computed from
    (with ``model_version`` the key under which a later run may reuse them).
    ``carried_from_run`` names the run whose suggestions this run copied instead of computing
    them again (unchanged input, or the site unreachable this quarter); ``note`` says why in
    words a reviewer reads (for example "Website nicht erreichbar; Vorschlag aus Quartal
    2026Q3 übernommen"), None when the scores are this run's own. Scores and hash are None
    only on a row carried forward from a run made before axis scores were stored.
    """

    run_id: str
    cluster_id: str
    model_version: str
    passages_hash: str | None
    technology_potential: float | None
    security_orientation: float | None
    relevance: float | None
    outcome: str
    technology_evidence: tuple[Evidence, ...] = ()
    security_evidence: tuple[Evidence, ...] = ()
    carried_from_run: str | None = None
    note: str | None = None


@dataclass(slots=True)
class PageSnapshot:
    """One fetch of one URL for one cluster: a row of ``page_snapshots``.

    The one record that is not frozen: the site spider fills it in while it follows the
    fetch (redirects, unchanged and duplicate bodies, byte caps). ``body`` is set only for a
    body that must be stored; unchanged and duplicate pages carry the ``content_hash`` of the
    body they share and ``unchanged_of`` pointing at the snapshot that first stored it.
    ``title``, ``extracted_text`` and ``language`` are what the pipeline's extraction wrote
    later (None on a fresh fetch); read for review, an unchanged fetch shows those of the
    snapshot it repeats.
    """

    snapshot_id: str
    cluster_id: str
    url: str
    final_url: str | None
    fetched_at: dt.datetime
    http_status: int | None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    unchanged_of: str | None = None
    page_kind: str | None = None
    note: str | None = None
    body: bytes | None = None
    title: str | None = None
    extracted_text: str | None = None
    language: str | None = None
    sitemap_lastmod: str | None = None  # the site's sitemap <lastmod> for this URL (normalised)
