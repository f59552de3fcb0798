"""Classifier kinds by name: the one map from a `--classifier` name to its loader.

Each kind's loader lives beside its class; the registry only names them, imports a kind
when it is asked for (presidio, coremltools or the Apple SDK are optional), and is the only
place the "unknown classifier" error is raised. Left out: the protocol they all speak
(pii.classifiers.protocol).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pii.classifiers.protocol import has_scores
from pii.errors import ConfigError, UsageError


@dataclass(frozen=True)
class Kind:
    name: str
    loader: str  # "module:function"
    llm: bool = False  # runs on the MLX engine (has a model, tokens, a compute floor)
    artifact: bool = False  # a fitted JSON artifact (bench/baselines/KIND.json): loader(config)


_KINDS = (
    Kind("fewshot", "pii.classifiers.fewshot:load", llm=True),
    Kind("adapter", "pii.classifiers.adapter:load", llm=True),
    Kind("probe", "pii.classifiers.probe:load", llm=True),
    Kind("rules", "pii.classifiers.rules:load_rules", artifact=True),
    Kind("tfidf", "pii.classifiers.tfidf:load_tfidf", artifact=True),
    Kind("presidio", "pii.classifiers.presidio:load_presidio", artifact=True),
    Kind("apple-fm", "pii.classifiers.applefm:load"),
)
REGISTRY = {k.name: k for k in _KINDS}
KINDS = tuple(REGISTRY)
LLM_KINDS = tuple(k.name for k in _KINDS if k.llm)


def get(name: str) -> Kind:
    """The kind called `name`; ConfigError naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown classifier '{name}': use one of {', '.join(KINDS)}") from None


def check(names: list[str]) -> None:
    """Every name known and none twice (a bench's --classifiers)."""
    for name in names:
        get(name)
    if len(set(names)) != len(names):
        raise UsageError("--classifiers names a classifier twice")


def preflight(
    kind: str, model: str, *, config: Path | None = None, adapter: Path | None = None
) -> None:
    """Check a kind's inputs (files, configs) without loading a model, so a bench fails in
    seconds rather than after the classifiers before it have run. Kinds without a `check`
    function pass."""
    k = get(kind)
    if k.artifact:
        from pii.classifiers.artifact import check_kind

        check_kind(kind, config)
        return
    module, _, _ = k.loader.partition(":")
    check_fn = getattr(importlib.import_module(module), "check", None)
    if check_fn is not None:
        check_fn(model=model, config=config, adapter=adapter)


def load_classifier(
    kind: str,
    model: str,
    *,
    config: Path | None = None,
    adapter: Path | None = None,
    threshold: float | None = None,
) -> Any:
    """A classifier by kind; the CLI's --classifier maps here. For fewshot `config` is the
    tuned prompt config; for rules, tfidf and presidio it is their JSON artifact (default:
    bench/baselines/KIND.json); `model` is used by the LLM kinds only; `adapter` by the
    adapter kind only."""
    k = get(kind)
    module, _, function = k.loader.partition(":")
    load = getattr(importlib.import_module(module), function)
    clf = load(config) if k.artifact else load(model=model, config=config, adapter=adapter)
    if threshold is not None:
        if not has_scores(clf):
            raise ConfigError(f"--threshold does not apply to {kind}: it yields decisions only")
        clf.threshold = threshold
    return clf
