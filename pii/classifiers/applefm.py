"""The `apple-fm` classifier: Apple's on-device Foundation Model via `apple-fm-sdk`.

Needs macOS 26 or later with Apple Intelligence turned on, and the SDK
(`pip install -e '.[apple-fm]'`). Each text gets a fresh `LanguageModelSession` (a session
keeps its transcript, and one text must not see another) with the few-shot baseline's
instruction and user turn from pii.classifiers.prompts, guided generation constrained to "yes"/"no"
(`@fm.generable` with `fm.guide(anyOf=...)`) and greedy sampling. Requests run one at a
time: a session refuses concurrent ones.

The SDK exposes no token probabilities, so this classifier yields decisions only:
`has_scores = False`, and `predict_proba` returns hard 0/1 columns with threshold 0.5. The
bench reports no AUROC, ECE, Brier or curves for it. A request the framework refuses
(guardrail, context window, decoding failure) is counted in `failures` and flagged as PII:
a PII gate that cannot clear a text should not pass it.

Left out: exemplars (the instruction and the question only; k = 0) and the SDK's streaming,
tools and transcripts.
"""

from __future__ import annotations

import asyncio
import platform
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pii.classifiers import prompts
from pii.classifiers.protocol import as_proba
from pii.errors import ConfigError, ModelError

MIN_MACOS = 26
INSTALL = "pip install -e '.[apple-fm]'"


def require_platform() -> None:
    """ModelError naming the requirement unless this is macOS 26 or later."""
    need = f"--classifier apple-fm needs macOS {MIN_MACOS}+ with Apple Intelligence turned on"
    if sys.platform != "darwin":
        raise ModelError(f"{need} (this is {platform.system() or sys.platform})")
    release = platform.mac_ver()[0]
    try:
        major = int(release.split(".")[0])
    except ValueError:
        major = 0
    if major < MIN_MACOS:
        raise ModelError(f"{need} (this is macOS {release or 'of unknown version'})")


def load_sdk() -> Any:
    """The `apple_fm_sdk` module, after the platform check."""
    require_platform()
    try:
        import apple_fm_sdk
    except ImportError:
        raise ConfigError(f"--classifier apple-fm needs apple-fm-sdk: {INSTALL}") from None
    return apple_fm_sdk


def answer_type(fm: Any) -> Any:
    """The generable the model must fill: one field, exactly "yes" or "no"."""

    @fm.generable("Whether the text contains personal data")
    class Answer:
        answer: str = fm.guide(prompts.QUESTION, anyOf=[prompts.YES, prompts.NO])

    return Answer


class AppleFMClassifier:
    """Apple's on-device model, prompted like the few-shot baseline; decisions only."""

    has_scores = False

    def __init__(self, instruction: str = prompts.DEFAULT_INSTRUCTION, sdk: Any = None) -> None:
        if instruction not in prompts.INSTRUCTIONS:
            raise ConfigError(f"instruction '{instruction}' unknown")
        fm = sdk if sdk is not None else load_sdk()
        self._fm = fm
        self.model_ = fm.SystemLanguageModel()
        available, reason = self.model_.is_available()
        if not available:
            raise ModelError(
                f"Apple's on-device model is unavailable ({reason}): turn on Apple "
                "Intelligence in System Settings and let the model finish downloading"
            )
        self.instruction = instruction
        self.threshold = 0.5
        self.name = "apple-fm"
        self.failures = 0  # requests refused by the framework, flagged as PII
        self._answer = answer_type(fm)
        self._options = fm.GenerationOptions(sampling=fm.SamplingMode.greedy())

    async def _decide(self, text: str) -> bool:
        session = self._fm.LanguageModelSession(
            instructions=prompts.INSTRUCTIONS[self.instruction], model=self.model_
        )
        try:
            result = await session.respond(
                prompts.user_turn(text), generating=self._answer, options=self._options
            )
        except self._fm.FoundationModelsError:
            self.failures += 1
            return True
        return result.answer == prompts.YES

    async def _decide_all(
        self, texts: Sequence[str], progress: Callable[[int], None] | None
    ) -> list[bool]:
        out = []
        for t in texts:  # one request at a time: the framework runs no concurrent ones
            out.append(await self._decide(t))
            if progress:
                progress(1)
        return out

    def predict_proba(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Hard decisions as an (n, 2) array of 0.0/1.0 (no scores exist)."""
        decisions = asyncio.run(self._decide_all(list(texts), progress))
        return as_proba(np.array(decisions, dtype=np.float64))


def load(model: str | None = None, config: Path | None = None, adapter: Path | None = None) -> Any:
    """The registry's loader: Apple's on-device model needs no files."""
    return AppleFMClassifier()
