"""Length-bucketed batches: every item once, within the limits, at the least cost."""

import itertools
import random

import pytest

from pii.classifiers.batch_plan import padded_fraction, plan


def _cost(lengths, batches, call_tokens):
    return sum(call_tokens + len(b) * max(lengths[i] for i in b) for b in batches)


def _valid(lengths, batches, batch_size, max_tokens):
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert 1 <= len(b) <= batch_size
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= max_tokens


@pytest.mark.parametrize("seed", range(20))
def test_plan_is_the_cheapest_cut_of_the_sorted_items(seed):
    rng = random.Random(seed)
    lengths = [rng.randint(1, 60) for _ in range(rng.randint(1, 8))]
    batches = plan(lengths, batch_size=3, max_tokens=100, call_tokens=10)
    _valid(lengths, batches, 3, 100)
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    best = float("inf")  # every way of cutting the sorted list, checked by brute force
    for cuts in itertools.product([0, 1], repeat=len(order) - 1):
        parts, start = [], 0
        for j, c in enumerate(cuts, 1):
            if c:
                parts.append(order[start:j])
                start = j
        parts.append(order[start:])
        if all(len(p) <= 3 and (len(p) == 1 or len(p) * lengths[p[-1]] <= 100) for p in parts):
            best = min(best, _cost(lengths, parts, 10))
    assert _cost(lengths, batches, 10) == best


def test_mixed_lengths_are_bucketed_with_little_padding():
    lengths = [30] * 20 + [400] * 4 + [120] * 8
    batches = plan(lengths, batch_size=32)
    naive = [sorted(range(32), key=lambda i: lengths[i])]
    assert padded_fraction(lengths, naive) > 0.5
    assert padded_fraction(lengths, batches) == 0.0
    _valid(lengths, batches, 32, 4096)


def test_a_long_item_runs_alone_past_the_token_budget_and_batch_size_is_checked():
    assert plan([5000, 10], batch_size=8, max_tokens=4096) == [[1], [0]]
    assert plan([], batch_size=4) == []
    with pytest.raises(ValueError, match="batch_size"):
        plan([3], batch_size=0)
