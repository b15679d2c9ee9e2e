"""Pure review logic: queue rules, agreement, and the small security helpers."""

from __future__ import annotations

import datetime as dt

from clusterradar.review.agreement import pair_agreement
from clusterradar.review.app import http_url, local_path
from clusterradar.review.auth import LoginThrottle, tokens_match
from clusterradar.review.queue import QueueFilters, build_queue, next_after, pending_items
from clusterradar.warehouse.reviews import QueueCandidate, ReviewDecision

MULTI = {"svi_domains", "function_logic", "application_fields"}


def candidate(
    sid, cluster, dimension, label, score, rank, *, concluded=False, reviewers=(), lands=("bayern",)
) -> QueueCandidate:
    return QueueCandidate(
        suggestion_id=sid,
        run_id="r1",
        quarter="2026Q3",
        cluster_id=cluster,
        cluster_name=cluster.title(),
        bundeslaender=list(lands),
        dimension=dimension,
        label_key=label,
        score=score,
        rank=rank,
        model_version="m",
        concluded=concluded,
        reviewers=list(reviewers),
    )


def pending(candidates, current=None, **options):
    return pending_items(candidates, current or {}, is_multi_label=MULTI.__contains__, **options)


def test_a_concluded_intensity_suggestion_closes_its_alternatives():
    rows = [
        candidate("a1", "a", "intensity", "primarily_security", 0.8, 1, concluded=True),
        candidate("a2", "a", "intensity", "balanced_dual_use", 0.2, 2),
    ]
    assert pending(rows) == []


def test_multi_label_ranks_after_the_first_need_the_minimum_score():
    rows = [
        candidate("b1", "b", "svi_domains", "digital_sovereignty", 0.3, 1, concluded=True),
        candidate("b2", "b", "svi_domains", "health_biotech", 0.49, 2),
        candidate("b3", "b", "svi_domains", "energy_raw_materials", 0.7, 3),
    ]
    assert [i.suggestion_id for i in pending(rows, min_score=0.5)] == ["b3"]
    assert [i.suggestion_id for i in pending(rows, min_score=0.4)] == ["b2"]


def test_four_eyes_hides_an_item_from_the_reviewer_who_decided_it_but_not_from_others():
    rows = [candidate("c1", "c", "intensity", "primarily_security", 0.8, 1, reviewers=["anna"])]
    assert pending(rows, viewer="anna", four_eyes=True) == []
    (item,) = pending(rows, viewer="ben", four_eyes=True)
    assert item.awaiting_second


def test_low_confidence_disagreement_still_counts_as_differing():
    rows = [candidate("d1", "d", "intensity", "primarily_security", 0.2, 1)]
    (item,) = pending(rows, {("d", "intensity"): ["balanced_dual_use"]})
    assert item.reason == "differs"


def test_filters_keep_total_pending_and_count_what_is_shown():
    rows = [
        candidate("e1", "e", "intensity", "primarily_security", 0.8, 1, lands=["bremen"]),
        candidate("f1", "f", "intensity", "civil_base_technology", 0.8, 1),
        candidate("f2", "f", "svi_domains", "health_biotech", 0.8, 1),
    ]
    queue = build_queue(pending(rows), QueueFilters(bundesland="bayern"))
    assert queue.total_pending == 3 and len(queue.items) == 2
    assert queue.by_dimension == {"intensity": 1, "svi_domains": 1}
    assert queue.by_bundesland == {"bayern": 2}


def test_next_after_walks_the_queue_and_restarts_at_the_front_for_unknown_ids():
    items = pending(
        [
            candidate(f"g{i}", f"g{i}", "intensity", "primarily_security", 0.1 * i, 1)
            for i in range(1, 4)
        ]
    )
    assert next_after(items, "g1").suggestion_id == "g2"
    assert next_after(items, "g3") is None
    assert next_after(items, "gone").suggestion_id == "g1"
    assert next_after([], None) is None


def decision(sid, reviewer, action, labels=(), minute=0) -> ReviewDecision:
    return ReviewDecision(
        f"{sid}-{reviewer}-{minute}",
        sid,
        "x",
        "intensity",
        action,
        list(labels),
        reviewer,
        dt.datetime(2026, 10, 1, 9, minute),
    )


def test_agreement_compares_each_reviewers_first_decision_per_suggestion():
    decisions = [
        decision("s1", "anna", "accept"),
        decision("s1", "ben", "accept", minute=1),
        decision("s2", "anna", "override", ["a"]),
        decision("s2", "ben", "override", ["b"], minute=1),
        decision("s2", "ben", "override", ["a"], minute=2),  # a later change of mind: not counted
        decision("s3", "anna", "reject"),
    ]
    (pair,) = pair_agreement(decisions)
    assert (pair.reviewer_a, pair.reviewer_b, pair.shared, pair.agreed) == ("anna", "ben", 2, 1)
    assert pair.rate == 0.5


def test_login_throttle_blocks_after_the_limit_and_forgets_on_success():
    throttle = LoginThrottle(limit=2, window=60)
    throttle.failed("user:a")
    assert not throttle.blocked("user:a")
    throttle.failed("user:a")
    assert throttle.blocked("user:a", "addr:1") and not throttle.blocked("user:b")
    throttle.succeeded("user:a")
    assert not throttle.blocked("user:a")


def test_redirect_targets_and_links_are_restricted_to_safe_forms():
    assert local_path("/clusters/x?s=1") == "/clusters/x?s=1"
    for bad in ("//evil.example", "https://evil.example/", "javascript:alert(1)", "/\\evil", ""):
        assert local_path(bad) == "/"
    assert http_url("https://a.example/") == "https://a.example/"
    assert http_url("javascript:alert(1)") is None and http_url("data:text/html,x") is None
    assert tokens_match("abc", "abc") and not tokens_match("abc", "abd")
    assert not tokens_match("", "") and not tokens_match(None, "x")
