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

The version records the deciding reviewer(s), the decision time, the suggestion's model version,
its evidence URLs and the concluding decision's id (``source_ref``). Accepted and overridden
decisions are thereby also the next training examples: training reads ``effective_at(today)``.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from clusterradar.errors import InputError, NotFoundError
from clusterradar.review import vocabulary
from clusterradar.review.agreement import decisions_agree
from clusterradar.warehouse import reviews
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.history import current_labels, record_version, utcnow
from clusterradar.warehouse.reviews import ReviewDecision

# Decisions of one process are saved one at a time: DuckDB's optimistic concurrency would let two
# threads conclude two *different* suggestions of one intensity group at once. Other processes
# are excluded by DuckDB's file lock anyway.
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


def _already_concluded_message(decision: ReviewDecision) -> str:
    when = decision.decided_at.strftime("%Y-%m-%d %H:%M")
    return (
        f"suggestion {decision.suggestion_id} was already decided "
        f"({decision.action} by {decision.reviewer}, {when} UTC)"
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
    now: dt.datetime | None = None,
) -> DecisionOutcome:
    """Save one decision inside the caller's transaction and apply it (see module docstring)."""
    if action not in reviews.ACTIONS:
        raise InputError(f"unknown action {action!r}; use accept, reject or override")
    reviewer = reviewer.strip()
    if not reviewer:
        raise InputError("a decision needs a reviewer name")
    suggestion = reviews.load_suggestion(con, suggestion_id)
    if suggestion is None:
        raise NotFoundError(f"no suggestion {suggestion_id!r}; see 'clusterradar review list'")
    multi = vocabulary.is_multi_label(suggestion.dimension)
    if action == "override":
        chosen = vocabulary.check_labels(suggestion.dimension, labels or [])
    elif labels:
        raise InputError(f"{action} takes no labels; use override to choose other labels")
    else:
        chosen = []
    scope = [suggestion_id] if multi else reviews.group_suggestion_ids(con, suggestion)
    concluded_by = reviews.conclusion_of(con, scope)
    if concluded_by is not None:
        raise InputError(_already_concluded_message(concluded_by))
    earlier = reviews.decisions_for(con, suggestion_id)
    if four_eyes and any(d.reviewer == reviewer for d in earlier):
        raise InputError(
            f"{reviewer} already decided suggestion {suggestion_id}; four-eyes mode needs a "
            "second, different reviewer"
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
    if four_eyes:
        partners = [d for d in earlier if d.reviewer != reviewer and decisions_agree(d, decision)]
        if not partners:
            return DecisionOutcome(decision, False, None, current)
        deciders = [partners[0].reviewer, reviewer]
    else:
        deciders = [reviewer]
    version_id = None
    in_force = current
    if action != "reject":
        evidence = reviews.evidence_for(con, [suggestion_id])[suggestion_id]
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
        suggestion_id=suggestion_id,
        decision_id=decision.decision_id,
        action=action,
        version_id=version_id,
        concluded_at=now,
    )
    return DecisionOutcome(decision, True, version_id, in_force)


def record_decision(
    db_path: Path | str,
    *,
    suggestion_id: str,
    action: str,
    reviewer: str,
    labels: list[str] | None = None,
    comment: str | None = None,
    four_eyes: bool = False,
    timeout: float = 30.0,
) -> DecisionOutcome:
    """Open the warehouse briefly, save and apply one decision in one transaction, close again.

    Two reviewers concluding the same suggestion at the same moment cannot both win: decisions
    are serialised per process, the file lock serialises processes, and the conclusion's primary
    key would reject a second conclusion anyway (reported as already decided).
    """
    with _DECISION_LOCK, connect(db_path, timeout=timeout) as con:
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
                )
        except (duckdb.ConstraintException, duckdb.TransactionException) as exc:
            raise InputError(
                f"suggestion {suggestion_id} was decided by someone else at the same moment; "
                "reload and check"
            ) from exc
