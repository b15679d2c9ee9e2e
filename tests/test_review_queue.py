"""Pure review logic: queue rules, agreement, and the small security helpers."""

from __future__ import annotations

import datetime as dt

from clusterradar.review.agreement import pair_agreement
from clusterradar.review.app import http_url, local_path
from clusterradar.review.auth import tokens_match
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


def test_thematic_rank_one_needs_the_minimum_score_too():
    rows = [
        candidate("h1", "h", "application_fields", "land_defence_technology", 0.09, 1),
        candidate("h2", "h", "application_fields", "cybersecurity", 0.05, 2),
        candidate("i1", "i", "function_logic", "protection_defence", 0.55, 1),
    ]
    assert [i.suggestion_id for i in pending(rows, min_score=0.5)] == ["i1"]


def test_intensity_rank_one_is_queued_whatever_its_score():
    rows = [candidate("j1", "j", "intensity", "civil_base_technology", 0.2, 1)]
    assert [i.suggestion_id for i in pending(rows, min_score=0.5)] == ["j1"]


def test_within_a_group_intensity_comes_first_then_the_higher_score():
    # all new clusters: the audit saw a 0.09 thematic label lead the "new cluster" group
    rows = [
        candidate("k1", "k", "application_fields", "land_defence_technology", 0.55, 1),
        candidate("k2", "k", "intensity", "balanced_dual_use", 0.62, 1),
        candidate("l1", "l", "svi_domains", "digital_sovereignty", 0.95, 1),
        candidate("l2", "l", "intensity", "primarily_security", 0.91, 1),
    ]
    items = pending(rows, min_score=0.5)
    assert {i.reason for i in items} == {"new_cluster"}
    assert [i.suggestion_id for i in items] == ["l2", "k2", "l1", "k1"]


def test_groups_keep_the_documented_order_differs_then_uncertain_then_new():
    rows = [
        candidate("m1", "m", "intensity", "civil_base_technology", 0.9, 1),  # new cluster
        candidate("n1", "n", "svi_domains", "health_biotech", 0.55, 1),  # uncertain, agrees
        candidate("o1", "o", "svi_domains", "energy_raw_materials", 0.95, 1),  # differs
        candidate("o2", "o", "intensity", "balanced_dual_use", 0.7, 1),  # differs
    ]
    current = {
        ("n", "svi_domains"): ["health_biotech"],
        ("o", "svi_domains"): ["health_biotech"],
        ("o", "intensity"): ["primarily_security"],
    }
    items = pending(rows, current, min_score=0.5)
    assert [(i.suggestion_id, i.reason) for i in items] == [
        ("o2", "differs"),
        ("o1", "differs"),
        ("n1", "low_confidence"),
        ("m1", "new_cluster"),
    ]


def test_no_thematic_items_for_a_cluster_whose_intensity_verdict_is_no_svi_relevance():
    rows = [
        candidate("p1", "p", "intensity", "no_svi_relevance", 0.8, 1),
        candidate("p2", "p", "svi_domains", "digital_sovereignty", 0.9, 1),
        candidate("p3", "p", "function_logic", "protection_defence", 0.7, 1),
        candidate("q1", "q", "intensity", "civil_base_technology", 0.8, 1),
        candidate("q2", "q", "svi_domains", "digital_sovereignty", 0.9, 1),
    ]
    assert [i.suggestion_id for i in pending(rows)] == ["p1", "q1", "q2"]


def test_the_intensity_in_force_decides_once_the_intensity_suggestion_is_concluded():
    thematic = candidate("r2", "r", "svi_domains", "digital_sovereignty", 0.9, 1)
    # the reviewer rejected "no relevance": the paper's label stays, thematic items count again
    rejected = [candidate("r1", "r", "intensity", "no_svi_relevance", 0.8, 1, concluded=True)]
    current = {("r", "intensity"): ["balanced_dual_use"]}
    assert [i.suggestion_id for i in pending([*rejected, thematic], current)] == ["r2"]
    # accepted: no relevance is in force, thematic items are pointless
    current = {("r", "intensity"): ["no_svi_relevance"]}
    assert pending([*rejected, thematic], current) == []


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
            candidate(f"g{i}", f"g{i}", "intensity", "primarily_security", 1 - 0.1 * i, 1)
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


def test_redirect_targets_and_links_are_restricted_to_safe_forms():
    assert local_path("/clusters/x?s=1") == "/clusters/x?s=1"
    for bad in ("//evil.example", "https://evil.example/", "javascript:alert(1)", "/\\evil", ""):
        assert local_path(bad) == "/"
    assert http_url("https://a.example/") == "https://a.example/"
    assert http_url("javascript:alert(1)") is None and http_url("data:text/html,x") is None
    assert tokens_match("abc", "abc") and not tokens_match("abc", "abd")
    assert not tokens_match("", "") and not tokens_match(None, "x")
