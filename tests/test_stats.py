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


@pytest.mark.parametrize("n, ties", [(5, False), (16, True), (300, False), (300, True)])
def test_vectorised_bootstrap_equals_scoring_each_resample(monkeypatch, n, ties):
    """The bootstrap scores all resamples at once; the same draws scored one by one with
    `scores` (scikit-learn) give the same intervals."""
    from pii.metrics import stats as st

    monkeypatch.setattr(st, "N_BOOT", 300)
    rng = np.random.default_rng(n)
    y = rng.random(n) < 0.4
    p = np.round(rng.random(n), 1) if ties else rng.random(n)
    pred = p >= 0.5
    gen = np.random.default_rng(7)
    draws: dict = {}
    for _ in range(st.N_BOOT):
        idx = gen.integers(0, n, n)
        for key, value in st.scores(y[idx], pred[idx], p[idx]).items():
            if value is not None and key != "n":
                draws.setdefault(key, []).append(value)
    want = {k: st._interval(v) for k, v in draws.items()}
    got = st.bootstrap(y, pred, p, seed=7)
    assert got.keys() == want.keys()
    for k in want:
        np.testing.assert_allclose(got[k], want[k], atol=1e-9, err_msg=k)
    no_scores = st.bootstrap(y, pred, None, seed=7)
    assert set(no_scores) == {"precision", "recall", "f1", "f2", "accuracy"}


def test_vectorised_paired_bootstrap_equals_the_loop(monkeypatch):
    from pii.metrics import scores as metrics
    from pii.metrics import stats as st

    monkeypatch.setattr(st, "N_BOOT", 300)
    rng = np.random.default_rng(3)
    y = rng.random(40) < 0.3
    base, other = rng.random(40) < 0.3, rng.random(40) < 0.4
    gen = np.random.default_rng(0)
    d_f1, d_recall, gain = [], [], []
    for _ in range(st.N_BOOT):
        idx = gen.integers(0, 40, 40)
        sb, so = metrics.summary(y[idx], base[idx]), metrics.summary(y[idx], other[idx])
        d_f1.append(so["f1"] - sb["f1"])
        d_recall.append(so["recall"] - sb["recall"])
        if sb["f1"] > 0:
            gain.append((so["f1"] - sb["f1"]) / sb["f1"])
    got = st.paired(y, base, other)
    np.testing.assert_allclose(got["f1_diff_ci95"], st._interval(d_f1), atol=1e-9)
    np.testing.assert_allclose(got["recall_diff_ci95"], st._interval(d_recall), atol=1e-9)
    np.testing.assert_allclose(got["relative_f1_gain_ci95"], st._interval(gain), atol=1e-9)
