"""The committed recipes parse and validate, and the shipped adapter was trained with the recipe
that says it was (so `pii train --config adapters/recipes/shipped-smollm2-135m.yaml` rebuilds it)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from pii.training.recipe import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted(p for p in (ROOT / "adapters/recipes").glob("*.yaml") if "sweep" not in p.name)


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_every_recipe_parses_and_validates(path):
    TrainConfig.from_file(path).validate(str(path))


def test_the_shipped_adapter_was_trained_with_its_recipe():
    recipe = asdict(TrainConfig.from_file(ROOT / "adapters/recipes/shipped-smollm2-135m.yaml"))
    trained = json.loads((ROOT / "adapters/smollm2-135m/training.json").read_text())["config"]
    if recipe["epochs"] is not None:  # the steps follow from the pool; `iters` is not read
        recipe.pop("iters"), trained.pop("iters")
    assert recipe == trained


def test_the_learning_curve_takes_the_shipped_adapter_as_its_whole_pool_point():
    from dataclasses import replace

    from pii.errors import ConfigError
    from pii.study import learning_curve

    recipe = TrainConfig.from_file(ROOT / "adapters/recipes/shipped-smollm2-135m.yaml")
    splits = {"train": ROOT / "golden/train.jsonl"}
    adapter = ROOT / "adapters/smollm2-135m"
    learning_curve._check_same_recipe(adapter, asdict(recipe), splits)  # no error
    with pytest.raises(ConfigError, match=r"differs in \['rank'\]"):
        learning_curve._check_same_recipe(adapter, asdict(replace(recipe, rank=16)), splits)
