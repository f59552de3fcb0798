import numpy as np
import pytest

from pii.metrics import stats


def test_mcnemar_exact_known_answer():
    y = np.ones(20, dtype=bool)
    base = np.array([True] * 10 + [False] * 10)
    other = np.ones(20, dtype=bool)
    pair = stats.paired(y, base, other)
    assert pair["mcnemar"]["only_other_right"] == 10 and pair["mcnemar"]["only_base_right"] == 0
    assert pair["mcnemar"]["p_value"] == pytest.approx(2 * 0.5**10)
    assert pair["recall_diff"] == pytest.approx(0.5)


def test_ece_is_zero_when_calibrated_and_large_when_not():
    y = np.array([0, 1] * 50, dtype=bool)
    assert stats.ece(y, np.full(100, 0.5)) == pytest.approx(0.0)
    assert stats.ece(y, np.where(y, 0.0, 1.0)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("ci", "expected"),
    [([0.2, 0.4], "worth it"), ([-0.1, 0.05], "not worth it"), ([0.05, 0.2], "inconclusive")],
)
def test_verdict_follows_the_interval(ci, expected):
    pair = {"relative_f1_gain": sum(ci) / 2, "relative_f1_gain_ci95": ci, "f1_diff": 0.1}
    assert stats.verdict(pair)["verdict"] == expected


def test_slices_count_every_item_once_per_dimension():
    from tests.golden_fixtures import record

    records = [record("a", "x", True), record("b", "y", False)]
    records[1]["tags"]["hard_negative"], records[1]["tags"]["negative_kind"] = True, "version"
    y = np.array([True, False])
    s = stats.slices(records, y, np.array([True, True]))
    assert s["format"]["chat"]["n"] == 2
    assert s["hard_negatives"] == {"n": 1, "fpr": 1.0}
    assert s["type"]["PHONE"] == {"n": 1, "recall": 1.0}
