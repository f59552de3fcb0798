"""Shared fixtures: no test reaches the network; tiny models are built once per session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@pytest.fixture(autouse=True)
def no_network():
    """Every test runs with the network guard on: a connection attempt fails the test."""
    from pii import netguard

    with netguard.guarded():
        yield


@pytest.fixture(autouse=True)
def model_cache(tmp_path_factory, monkeypatch):
    """Converted models go to a temporary cache, never the user's."""
    if "PII_TEST_REAL_CACHE" not in os.environ:
        monkeypatch.setenv("PII_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """An mlx-lm directory: 2-layer random llama, tokenizer trained in the test."""
    from tests.tiny import make_llama

    return make_llama(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def tiny_engine(tiny_model):
    from pii.engine.mlx_engine import load_engine

    return load_engine(str(tiny_model), precision="float32")


@pytest.fixture(scope="session")
def tiny_adapter(tiny_model, tmp_path_factory):
    """(adapter directory, model directory): a LoRA adapter trained 4 steps on the tiny llama."""
    from pii.training import loop as train
    from tests.golden_fixtures import write_split

    d = tmp_path_factory.mktemp("tiny-adapter")
    tr = write_split(d / "train.jsonl", "train", 32)
    va = write_split(d / "valid.jsonl", "valid", 16, start=100)
    recipe = train.TrainConfig(
        model=str(tiny_model),
        rank=4,
        num_layers=2,
        iters=4,
        batch_size=4,
        max_tokens=32,
        steps_per_eval=2,
        val_limit=None,
        val_batches=2,
        warmup=0,
        precision="float32",
    )
    train.run(recipe, d / "adapter", tr, va, log=lambda s: None)
    return d / "adapter", tiny_model


class FakeClassifier:
    """A classifier that reads its P(PII) from a table (text -> probability): tests the bench,
    its verdicts, gates and reports without any model. `has_scores=False` makes it a
    decision-only one (its table then holds 0/1)."""

    def __init__(self, name, table, threshold=0.5, has_scores=True):
        self.name, self.table, self.threshold = name, dict(table), threshold
        self.has_scores = has_scores
        self.calls = 0

    def predict_proba(self, texts, progress=None):
        import numpy as np

        from pii.classifiers.protocol import as_proba

        self.calls += 1
        p = np.array([self.table[t] for t in texts], dtype=float)
        if progress:
            progress(len(texts))
        return as_proba(p)


@pytest.fixture
def fake_kinds(monkeypatch):
    """Register fake `fewshot`, `adapter` and `probe` kinds (no MLX) for CLI tests; returns a
    dict the test fills with kind -> FakeClassifier before invoking the command (the probe,
    when not given, reads the few-shot fake's table under its own name)."""
    from pii.classifiers import registry

    made: dict[str, FakeClassifier] = {}
    for kind in ("fewshot", "adapter", "probe"):
        monkeypatch.setitem(
            registry.REGISTRY, kind, registry.Kind(kind, f"tests.conftest:_fake_{kind}")
        )
    monkeypatch.setattr("tests.conftest._FAKES", made)
    return made


_FAKES: dict[str, FakeClassifier] = {}


def _fake_fewshot(model=None, config=None, adapter=None):
    return _FAKES["fewshot"]


def _fake_adapter(model=None, config=None, adapter=None):
    return _FAKES["adapter"]


def _fake_probe(model=None, config=None, adapter=None):
    if "probe" not in _FAKES:
        base = _FAKES["fewshot"]
        _FAKES["probe"] = FakeClassifier("probe-fake", base.table, base.threshold)
    return _FAKES["probe"]
