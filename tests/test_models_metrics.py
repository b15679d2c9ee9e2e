"""The evaluation metrics are pure functions with known answers."""

from __future__ import annotations

import math

import pytest

from clusterradar.models import metrics as m

ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}


def test_accuracy_counts_exact_matches():
    assert m.accuracy([1, 3, 4, 4], [1, 3, 3, 4]) == 0.75


def test_macro_f1_averages_over_the_given_labels_and_scores_unpredicted_class_zero():
    y, p = [1, 1, 3, 4], [1, 1, 1, 4]
    # F1: level 1 = 2*2/(2*2+1+0) = 0.8, level 3 = 0, level 4 = 1
    assert m.macro_f1(y, p, [1, 3, 4]) == pytest.approx((0.8 + 0 + 1) / 3)


def test_confusion_matrix_rows_are_true_labels():
    assert m.confusion_matrix([1, 3, 3], [1, 1, 3], [1, 3]) == [[1, 0], [1, 1]]


def test_mae_and_within_one_use_level_distance():
    y, p = [1, 3, 4], [3, 3, 5]
    assert m.mean_absolute_level_error(y, p, ORDER) == pytest.approx(1.0)
    assert m.within_one_accuracy(y, p, ORDER) == pytest.approx(2 / 3)


def test_quadratic_weighted_kappa_is_one_for_perfect_and_negative_for_reversed():
    assert m.quadratic_weighted_kappa([1, 3, 4, 5], [1, 3, 4, 5], ORDER) == pytest.approx(1.0)
    assert m.quadratic_weighted_kappa([1, 2, 4, 5], [5, 4, 2, 1], ORDER) < 0


def test_quadratic_weighted_kappa_matches_scikit_learn():
    from sklearn.metrics import cohen_kappa_score

    y, p = [1, 1, 3, 4, 4, 3, 1, 4], [1, 3, 3, 4, 3, 4, 1, 1]
    expected = cohen_kappa_score(y, p, weights="quadratic", labels=[1, 2, 3, 4, 5])
    assert m.quadratic_weighted_kappa(y, p, ORDER) == pytest.approx(expected)


def test_brier_score_is_zero_for_certain_truth_and_two_for_certain_error():
    assert m.brier_score([1], [{1: 1.0, 3: 0.0}]) == 0.0
    assert m.brier_score([1], [{3: 1.0}]) == pytest.approx(2.0)


def test_coverage_at_precision_takes_the_largest_trustworthy_prefix():
    y = [1, 1, 1, 1, 3]
    pred = [1, 1, 1, 3, 1]
    confidence = [0.9, 0.8, 0.7, 0.6, 0.5]
    coverage, threshold = m.coverage_at_precision(y, pred, confidence, 0.9)
    assert coverage == pytest.approx(3 / 5)
    assert threshold == pytest.approx(0.7)


def test_coverage_is_zero_when_even_the_most_confident_is_wrong():
    assert m.coverage_at_precision([1, 1], [3, 1], [0.9, 0.1], 0.9) == (0.0, None)


def test_wilson_interval_matches_the_textbook_value():
    interval = m.wilson_interval(26, 33)
    assert interval.value == pytest.approx(26 / 33)
    assert interval.low == pytest.approx(0.6223, abs=1e-3)
    assert interval.high == pytest.approx(0.8930, abs=1e-3)


def test_bootstrap_interval_is_seeded_and_brackets_the_statistic():
    values = [0, 1, 1, 1, 0, 1, 1, 0, 1, 1]
    stat = lambda ix: sum(values[i] for i in ix) / len(ix)  # noqa: E731
    first = m.bootstrap_interval(stat, len(values), resamples=500, seed=1)
    assert first == m.bootstrap_interval(stat, len(values), resamples=500, seed=1)
    assert first[0] <= 0.7 <= first[1]


def test_roc_auc_counts_ties_as_half():
    assert m.roc_auc([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1]) == pytest.approx((1 + 0.5 + 1 + 1) / 4)
    with pytest.raises(ValueError):
        m.roc_auc([1, 1], [0.1, 0.2])


def test_mismatched_lengths_are_rejected():
    with pytest.raises(ValueError):
        m.accuracy([1, 2], [1])
    assert not math.isnan(m.macro_f1([], [], [1]))
