"""Precision at 1 of the thematic scorer against an annotation (record 10)."""

from __future__ import annotations

import numpy as np
import pytest

from clusterradar.models.features import LEXICON_CATEGORIES, ClusterFeatures
from clusterradar.models.prototypes import Prototype
from clusterradar.models.thematic import ThematicScorer
from clusterradar.models.thematic_evaluation import evaluate_thematic

AXES = np.eye(3, dtype=np.float32)


def _prototype(key: str, axis: int) -> Prototype:
    return Prototype("application_fields", key, key, None, [key], AXES[axis])


def _cluster(key: str, *vectors: np.ndarray) -> ClusterFeatures:
    rows = np.vstack(vectors).astype(np.float32)
    return ClusterFeatures(
        cluster_key=key,
        n_passages=len(rows),
        centroid=rows.mean(axis=0),
        focus=rows.mean(axis=0),
        relevance=np.zeros(len(rows)),
        level_similarity=np.zeros(5),
        lexicon=np.zeros(len(LEXICON_CATEGORIES)),
        lexicon_density=0.0,
        lexicon_peak=0.0,
        embeddings=rows,
    )


@pytest.fixture
def scorer() -> ThematicScorer:
    return ThematicScorer(
        prototypes={
            "application_fields": [
                _prototype("cybersecurity", 0),
                _prototype("maritime_security", 1),
                _prototype("aerospace_space_defence", 2),
            ]
        }
    )


def test_top_category_counts_as_hit_only_when_annotated(scorer):
    features = {
        "cyber-cluster": _cluster("cyber-cluster", AXES[0], AXES[0] * 0.9),
        "port-cluster": _cluster("port-cluster", AXES[1]),
        "space-cluster": _cluster("space-cluster", AXES[0]),  # reads like cyber
    }
    annotations = {
        "cyber-cluster": {"application_fields": ["cybersecurity"]},
        "port-cluster": {"application_fields": ["maritime_security", "cybersecurity"]},
        "space-cluster": {"application_fields": ["aerospace_space_defence"]},
    }
    (scores,) = evaluate_thematic(scorer, features, annotations)
    assert scores.top1 == {
        "cyber-cluster": "cybersecurity",
        "port-cluster": "maritime_security",
        "space-cluster": "cybersecurity",
    }
    assert (scores.hits, scores.n) == (2, 3)
    assert scores.precision_at_1.value == pytest.approx(2 / 3)
    assert scores.precision_at_1.low < 2 / 3 < scores.precision_at_1.high
    # the oracle baseline: cybersecurity is annotated twice, so "always cybersecurity" hits 2
    assert scores.most_frequent == "cybersecurity"
    assert scores.most_frequent_precision.value == pytest.approx(2 / 3)


def test_unannotated_and_unknown_clusters_are_left_out_and_listed(scorer):
    features = {
        "cyber-cluster": _cluster("cyber-cluster", AXES[0]),
        "empty-cluster": _cluster("empty-cluster", AXES[1]),
        "stranger": _cluster("stranger", AXES[2]),
    }
    annotations = {
        "cyber-cluster": {"application_fields": ["maritime_security"]},
        "empty-cluster": {"application_fields": []},
    }
    (scores,) = evaluate_thematic(scorer, features, annotations)
    assert (scores.hits, scores.n) == (0, 1)
    assert scores.unannotated == ("empty-cluster",)
    assert "stranger" not in scores.top1
    assert scores.as_dict()["precision_at_1"]["value"] == 0.0


def test_lexicon_bonus_can_change_the_top_category(scorer):
    features = {"c": _cluster("c", AXES[0] * 0.7 + AXES[1] * 0.68)}
    annotations = {"c": {"application_fields": ["maritime_security"]}}
    (before,) = evaluate_thematic(scorer, features, annotations)
    features["c"].lexicon[LEXICON_CATEGORIES.index("maritime")] = 1.0
    (after,) = evaluate_thematic(scorer, features, annotations)
    assert (before.top1["c"], after.top1["c"]) == ("cybersecurity", "maritime_security")
