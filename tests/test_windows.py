"""Windows over long texts: coverage, overlap, training labels from spans, aggregates."""

import numpy as np
import pytest

from pii.classifiers import windows


def offsets(n: int, width: int = 3) -> list[tuple[int, int]]:
    return [(i * width, i * width + width) for i in range(n)]


def test_a_text_that_fits_is_one_window():
    assert windows.split(offsets(10), 30, size=10, overlap=2) == [(0, 30)]


def test_windows_cover_every_character_and_overlap():
    n, size, overlap = 100, 16, 4
    spans = windows.split(offsets(n), n * 3 + 2, size=size, overlap=overlap)
    assert spans[0][0] == 0 and spans[-1][1] == n * 3 + 2
    for (_a0, b0), (a1, b1) in zip(spans, spans[1:], strict=False):
        assert a1 < b0  # consecutive windows share characters
        assert b0 - a1 == overlap * 3  # exactly `overlap` tokens
        assert b1 - a1 <= size * 3 + 2
    with pytest.raises(ValueError):
        windows.split(offsets(n), n * 3, size=8, overlap=8)


def test_a_value_cut_at_one_edge_is_whole_in_the_next_window():
    n, size, overlap = 60, 20, 6
    spans = windows.split(offsets(n), n * 3, size=size, overlap=overlap)
    for start in range(0, n * 3 - 15, 3):  # every value of 5 tokens (15 characters)
        value = (start, start + 15)
        assert any(a <= value[0] and value[1] <= b for a, b in spans)


def test_training_labels_come_from_spans():
    spans = [[100, 120, "EMAIL"]]
    assert windows.label((90, 130), spans, True) is True
    assert windows.label((0, 90), spans, True) is False
    assert windows.label((110, 200), spans, True) is None  # only part of the value
    assert windows.label((0, 50), None, True) is True  # no spans: the record's own label
    assert windows.label((0, 50), [], False) is False


def test_aggregates():
    x = np.array([-3.0, 2.0, -1.0, 0.5])
    counts = [1, 3]
    np.testing.assert_allclose(windows.aggregate(x, counts, "max"), [-3.0, 2.0])
    p = 1 / (1 + np.exp(-x[1:]))
    noisy = 1 - np.prod(1 - p)
    z = windows.aggregate(x, counts, "noisy_or")
    assert z[0] == -3.0
    np.testing.assert_allclose(1 / (1 + np.exp(-z[1])), noisy, atol=1e-12)
    assert windows.aggregate(np.array([40.0, 40.0]), [2], "noisy_or")[0] > 40  # no overflow
    assert windows.best(x, counts) == [0, 0]
    with pytest.raises(ValueError):
        windows.aggregate(x, [2, 3], "max")


def test_choose_prefers_the_aggregate_that_separates_validation():
    # Positives: one clear window; negatives: many mildly suspicious windows.
    x = np.array([3.0, -5, -5, -5] * 5 + [1.0, 1.0, 1.0, 1.0] * 5)
    counts = [4] * 10
    y = np.array([True] * 5 + [False] * 5)
    how, table = windows.choose(x, counts, y)
    assert how == "max" and table["max"]["f"] == 1.0
    assert table["noisy_or"]["f"] <= table["max"]["f"]
