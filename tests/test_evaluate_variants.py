"""The evaluation's rows are data (one production row, at most two comparison rows, issue 18)
and its scores are scikit-learn's metrics with the intervals the docs report."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    from clusterradar.settings import load_settings

    return load_settings(overrides={"db": tmp_path_factory.mktemp("nodb") / "absent.duckdb"})


def test_evaluation_rows_are_one_production_model_and_at_most_two_comparisons(settings):
    from clusterradar.models.evaluate import DEFAULT, variants

    rows = variants(settings)
    names = [row.name for row in rows]
    assert len(names) == len(set(names))
    production = [row for row in rows if row.typology]
    assert [row.name for row in production] == [DEFAULT]
    assert production[0].config is None
    comparisons = [row for row in rows if not row.typology]
    assert 1 <= len(comparisons) <= 2
    assert all(row.config is not None and row.description for row in comparisons)


def test_score_reports_scikit_learn_metrics_with_wilson_intervals_and_within_one():
    import numpy as np
    from sklearn.metrics import confusion_matrix, f1_score

    from clusterradar.models.evaluate import PAPER_LEVELS, score

    y = [1, 1, 3, 3, 4, 4, 4, 1]
    pred = [1, 3, 3, 2, 4, 5, 4, 1]
    probs = [np.eye(5)[p - 1] for p in pred]
    scores = score(y, pred, probs, [f"c{i}" for i in range(len(y))])
    assert scores.accuracy.value == pytest.approx(5 / 8)
    assert scores.accuracy.low < 5 / 8 < scores.accuracy.high
    assert scores.within_one.value == pytest.approx(7 / 8)  # 1 → 3 is two levels off
    assert scores.macro_f1.value == pytest.approx(
        f1_score(y, pred, labels=list(PAPER_LEVELS), average="macro", zero_division=0)
    )
    assert scores.confusion_matrix == confusion_matrix(y, pred, labels=[1, 2, 3, 4, 5]).tolist()
    assert scores.predictions["c1"] == 3
