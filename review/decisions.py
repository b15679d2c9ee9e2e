"""What a reviewer's decision does to the classification history.

Every decision is appended to ``review_decisions``; nothing is updated or deleted. A decision
*concludes* review of its suggestion either at once or, in four-eyes mode, when a second,
different reviewer took an agreeing decision (same action; for an override the same labels).
On conclusion:

- **accept** appends a classification version (source ``review``, valid from the decision date):
  for intensity (single label) the suggested label; for a multi-label dimension the suggested
  label *joins* the labels in force for that dimension (nothing is removed);
- **override** appends a version with exactly the labels the reviewer chose (for a multi-label
  dimension the complete new label set of that dimension);
- **reject** appends no version: the classification in force stays.

An **accept** of a *superseded* suggestion -- one from an older run while a newer finished run
has suggestions for the same cluster and dimension -- is refused unless forced: it would put in
force a label the current model may no longer suggest (the queue and cluster page only show the
newest run; a stale tab or an old id from a script would otherwise succeed silently).

The version records the deciding reviewer(s), the decision time, the suggestion's model version,
its evidence URLs and the concluding decision's id (``source_ref``). Accepted and overridden
decisions are thereby also the next training examples: training reads ``effective_at(today)``.

A decision may carry a ``request_key`` (the web form's idempotency key): a second call with a
key that is already stored writes nothing and answers what the first call did, so a retried
POST never decides twice and never turns a saved decision into an error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from clusterradar.errors import WarehouseLockedError
from clusterradar.review import vocabulary
from clusterradar.review.agreement import decisions_agree
from clusterradar.review.messages import input_error, not_found
from clusterradar.texts import dimension_label, names, text
from clusterradar.warehouse import reviews
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.history import current_labels, record_version, utcnow
from clusterradar.warehouse.reviews import ReviewDecision

# Decisions of one process are saved one at a time: DuckDB's optimistic concurrency would let two
# threads conclude two *different* suggestions of one intensity group at once. Other processes
# are excluded by the warehouse write lock (clusterradar.warehouse.db).
_DECISION_LOCK = threading.Lock()


@dataclass(slots=True)
class DecisionOutcome:
    """What saving a decision did."""

    decision: ReviewDecision
    concluded: bool  # False: four-eyes mode waits for a second, agreeing reviewer
    version_id: str | None  # the classification version appended, if any
    labels_in_force: (
        list[str] | None
    )  # labels effective after the decision (None: never classified)
    replayed: bool = False  # True: an earlier request with the same key made this decision


REQUEST_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _already_concluded(decision: ReviewDecision):
    when = decision.decided_at.strftime("%Y-%m-%d %H:%M")
    return input_error(
        f"suggestion {decision.suggestion_id} was already decided "
        f"({decision.action} by {decision.reviewer}, {when} UTC)",
        text(
            "error.already_decided",
            action=names("action").get(decision.action, decision.action),
            reviewer=decision.reviewer,
            when=when,
        ),
    )


def _superseded(suggestion: reviews.Suggestion, newer: reviews.NewerRun):
    run = f"{newer.run_id} ({newer.quarter or 'no quarter'}, finished {newer.finished_at:%Y-%m-%d})"
    return input_error(
        f"suggestion {suggestion.suggestion_id} of run {suggestion.run_id} is superseded: newer "
        f"run {run} has suggestions for {suggestion.cluster_id} {suggestion.dimension}; decide "
        f"those (clusterradar review show {suggestion.cluster_id}) or pass --force",
        text(
            "error.superseded",
            run=newer.run_id,
            quarter=newer.quarter or text("error.no_quarter"),
            finished=f"{newer.finished_at:%Y-%m-%d}",
            cluster=suggestion.cluster_id,
            dimension=dimension_label(suggestion.dimension),
        ),
    )


def final_labels(
    action: str, suggested: str, chosen: list[str], current: list[str] | None, multi: bool
) -> list[str]:
    """The labels a decision puts in force (empty for reject)."""
    if action == "reject":
        return []
    if action == "override":
        return sorted(set(chosen))
    if multi:
        return sorted(set(current or []) | {suggested})
    return [suggested]


def decide(
    con: duckdb.DuckDBPyConnection,
    *,
    suggestion_id: str,
    action: str,
    reviewer: str,
    labels: list[str] | None = None,
    comment: str | None = None,
    four_eyes: bool = False,
    force: bool = False,
    now: dt.datetime | None = None,
    request_key: str | None = None,
) -> DecisionOutcome:
    """Save one decision inside the caller's transaction and apply it (see module docstring).
    `force` allows accepting a superseded suggestion; a known `request_key` replays the
    outcome of the decision it made."""
    if request_key is not None:
        replayed = _replay(con, request_key, suggestion_id, reviewer.strip())
        if replayed is not None:
            return replayed
    reviewer = _checked_action_and_reviewer(action, reviewer)
    suggestion = reviews.load_suggestion(con, suggestion_id)
    if suggestion is None:
        raise not_found(
            f"no suggestion {suggestion_id!r}; see 'clusterradar review list'",
            text("error.no_suggestion", suggestion=suggestion_id),
        )
    multi = vocabulary.is_multi_label(suggestion.dimension)
    chosen = _chosen_labels(action, suggestion.dimension, labels)
    _check_still_open(
        con, suggestion_id, suggestion, multi=multi, accepting=action == "accept" and not force
    )
    earlier = reviews.decisions_for(con, suggestion_id)
    if four_eyes and any(d.reviewer == reviewer for d in earlier):
        raise input_error(
            f"{reviewer} already decided suggestion {suggestion_id}; four-eyes mode needs a "
            "second, different reviewer",
            text("error.four_eyes_same"),
        )
    now = now or utcnow()
    current = current_labels(con, suggestion.cluster_id, suggestion.dimension, now.date())
    decision = ReviewDecision(
        decision_id=uuid.uuid4().hex,
        suggestion_id=suggestion_id,
        cluster_id=suggestion.cluster_id,
        dimension=suggestion.dimension,
        action=action,
        labels=final_labels(action, suggestion.label_key, chosen, current, multi),
        reviewer=reviewer,
        decided_at=now,
        comment=(comment or "").strip() or None,
    )
    reviews.insert_decision(con, decision)
    if request_key is not None:
        reviews.insert_request(con, request_key, decision)
    if four_eyes:
        partners = [d for d in earlier if d.reviewer != reviewer and decisions_agree(d, decision)]
        if not partners:
            return DecisionOutcome(decision, False, None, current)
        deciders = [partners[0].reviewer, reviewer]
    else:
        deciders = [reviewer]
    version_id, in_force = _conclude(con, suggestion, decision, deciders, current)
    return DecisionOutcome(decision, True, version_id, in_force)


def _checked_action_and_reviewer(action: str, reviewer: str) -> str:
    """The reviewer's name, stripped; InputError for an unknown action or an empty name."""
    if action not in reviews.ACTIONS:
        raise input_error(
            f"unknown action {action!r}; use accept, reject or override",
            text("error.unknown_action", action=action),
        )
    reviewer = reviewer.strip()
    if not reviewer:
        raise input_error("a decision needs a reviewer name", text("error.no_reviewer"))
    return reviewer


def _chosen_labels(action: str, dimension: str, labels: list[str] | None) -> list[str]:
    """An override's labels, checked against the dimension; accept and reject take none."""
    if action == "override":
        return vocabulary.check_labels(dimension, labels or [])
    if labels:
        raise input_error(
            f"{action} takes no labels; use override to choose other labels",
            text("error.labels_only_override"),
        )
    return []


def _check_still_open(
    con: duckdb.DuckDBPyConnection,
    suggestion_id: str,
    suggestion: reviews.Suggestion,
    *,
    multi: bool,
    accepting: bool,
) -> None:
    """Refuse a suggestion whose group is already concluded, and (unless forced) the
    acceptance of one a newer classification run has superseded."""
    scope = [suggestion_id] if multi else reviews.group_suggestion_ids(con, suggestion)
    concluded_by = reviews.conclusion_of(con, scope)
    if concluded_by is not None:
        raise _already_concluded(concluded_by)
    if accepting:
        newer = reviews.newer_run_for(con, suggestion)
        if newer is not None:
            raise _superseded(suggestion, newer)


def _conclude(
    con: duckdb.DuckDBPyConnection,
    suggestion: reviews.Suggestion,
    decision: ReviewDecision,
    deciders: list[str],
    current: list[str],
) -> tuple[str | None, list[str]]:
    """Conclude the suggestion; accept and override also start a classification version with
    the suggestion's evidence URLs. Returns the version id (None for reject) and the labels in
    force afterwards."""
    version_id = None
    in_force = current
    now = decision.decided_at
    if decision.action != "reject":
        evidence = reviews.evidence_for(con, [decision.suggestion_id])[decision.suggestion_id]
        urls = list(dict.fromkeys(e.url for e in evidence if e.url))
        in_force = decision.labels
        version_id = record_version(
            con,
            cluster_id=suggestion.cluster_id,
            dimension=suggestion.dimension,
            labels=in_force,
            valid_from=now.date(),
            source="review",
            source_ref=decision.decision_id,
            decided_by=", ".join(deciders),
            decided_at=now,
            model_version=suggestion.model_version,
            evidence_urls=urls,
        )
    reviews.insert_conclusion(
        con,
        suggestion_id=decision.suggestion_id,
        decision_id=decision.decision_id,
        action=decision.action,
        version_id=version_id,
        concluded_at=now,
    )
    return version_id, in_force


def _replay(
    con: duckdb.DuckDBPyConnection, request_key: str, suggestion_id: str, reviewer: str
) -> DecisionOutcome | None:
    """What the earlier request with this key did, or None for a new key."""
    if not REQUEST_KEY.match(request_key):
        raise input_error(
            "a request key is 16 to 64 letters, digits, '-' or '_'",
            text("error.bad_request_key"),
        )
    earlier = reviews.decision_of_request(con, request_key)
    if earlier is None:
        return None
    if earlier.suggestion_id != suggestion_id or earlier.reviewer != reviewer:
        raise input_error(
            f"request key {request_key} was used for another decision",
            text("error.request_key_reused"),
        )
    concluded, version_id = reviews.conclusion_version(con, suggestion_id)
    in_force = current_labels(con, earlier.cluster_id, earlier.dimension, utcnow().date())
    return DecisionOutcome(earlier, concluded, version_id, in_force, replayed=True)


@contextlib.contextmanager
def _decision_turn(timeout: float) -> Iterator[None]:
    if not _DECISION_LOCK.acquire(timeout=timeout):
        raise WarehouseLockedError(
            f"other decisions kept this process busy for more than {timeout:.0f}s; try again"
        )
    try:
        yield
    finally:
        _DECISION_LOCK.release()


def record_decision(
    db_path: Path | str,
    *,
    suggestion_id: str,
    action: str,
    reviewer: str,
    labels: list[str] | None = None,
    comment: str | None = None,
    four_eyes: bool = False,
    force: bool = False,
    timeout: float = 30.0,
    request_key: str | None = None,
) -> DecisionOutcome:
    """Open the warehouse briefly, save and apply one decision in one transaction, close again.

    Waits up to `timeout` seconds for another process's turn on the file (WarehouseLockedError
    after that: nothing was written). Two reviewers concluding the same suggestion at the same
    moment cannot both win: decisions are serialised per process, the write lock serialises
    processes, and the conclusion's primary key would reject a second conclusion anyway
    (reported as already decided). A retry with the same `request_key` writes nothing.
    """
    # The unit of work starts before the queue for the decision lock: while decisions queue,
    # the process keeps its DuckDB instance open instead of reopening it for each one.
    with connect(db_path, timeout=timeout) as con, _decision_turn(timeout):
        try:
            with transaction(con):
                return decide(
                    con,
                    suggestion_id=suggestion_id,
                    action=action,
                    reviewer=reviewer,
                    labels=labels,
                    comment=comment,
                    four_eyes=four_eyes,
                    force=force,
                    request_key=request_key,
                )
        except (duckdb.ConstraintException, duckdb.TransactionException) as exc:
            raise input_error(
                f"suggestion {suggestion_id} was decided by someone else at the same moment; "
                "reload and check",
                text("error.decided_concurrently"),
            ) from exc


def bulk_request_key(request_key: str, suggestion_id: str) -> str:
    """The idempotency key of one item of a bulk form: the form's key with a short hash of
    the suggestion, so a retried form replays every item and a changed selection cannot
    reuse another item's key."""
    digest = hashlib.sha256(suggestion_id.encode("utf-8")).hexdigest()[:12]
    return f"{request_key[:48]}-{digest}"


def record_bulk_accept(
    db_path: Path | str,
    *,
    suggestion_ids: list[str],
    reviewer: str,
    four_eyes: bool = False,
    timeout: float = 30.0,
    request_key: str | None = None,
) -> list[DecisionOutcome]:
    """Accept several rank-1 suggestions in one transaction: each exactly as a single accept
    (same decision, request, version and conclusion rows), and all or none -- an item that
    cannot be accepted (not rank 1, decided already, superseded, ...) refuses the whole set
    with the reason for that item. A form's `request_key` makes a retry replay every item."""
    ids = list(dict.fromkeys(suggestion_ids))
    if not ids:
        raise input_error("bulk accept needs at least one suggestion", text("error.bulk_none"))
    if request_key is not None and not REQUEST_KEY.match(request_key):
        raise input_error(
            "a request key is 16 to 64 letters, digits, '-' or '_'",
            text("error.bad_request_key"),
        )
    with connect(db_path, timeout=timeout) as con, _decision_turn(timeout):
        try:
            with transaction(con):
                outcomes = []
                for suggestion_id in ids:
                    suggestion = reviews.load_suggestion(con, suggestion_id)
                    if suggestion is not None and suggestion.rank != 1:
                        raise input_error(
                            f"suggestion {suggestion_id} is rank {suggestion.rank}; bulk "
                            "accept takes rank-1 suggestions only",
                            text("error.bulk_not_rank_1", suggestion=suggestion_id),
                        )
                    key = bulk_request_key(request_key, suggestion_id) if request_key else None
                    outcomes.append(
                        decide(
                            con,
                            suggestion_id=suggestion_id,
                            action="accept",
                            reviewer=reviewer,
                            four_eyes=four_eyes,
                            request_key=key,
                        )
                    )
                return outcomes
        except (duckdb.ConstraintException, duckdb.TransactionException) as exc:
            raise input_error(
                "one of the suggestions was decided by someone else at the same moment; "
                "nothing was saved, reload and check",
                text("error.bulk_concurrently"),
            ) from exc
