"""The few-shot prompted baseline: configuration, exemplar selection, label scoring.

A `FewShotConfig` is a plain JSON file (what `pii baseline tune` writes and `pii classify`
and the bench read). The classifier renders instruction + k exemplars + the text with the
model's chat template, runs the shared part once (prefix KV cache), and turns the yes/no
label logits into P(PII), optionally corrected by contextual calibration (the yes/no bias
measured on content-free inputs; Zhao et al. 2021).

Exemplar selection: `balanced` (a fixed, seeded set, half yes half no, short texts) or
`nearest` (per text, the k/2 most similar positives and negatives by character TF-IDF).
Nearest exemplars differ per text, so only the instruction can be cached for them.

Left out: the search over configurations (pii.training.tune) and the model itself (pii.engine).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pii.classifiers import batch_plan, prompts, windows
from pii.classifiers.protocol import as_proba
from pii.errors import ConfigError
from pii.jsonl import write_atomic
from pii.paths import project_path

FORMAT_VERSION = 1
CONTENT_FREE = ("", "N/A", "[MASK]")
SELECTIONS = ("balanced", "nearest")
_TYPES = {"model": str, "instruction": str, "k": int, "selection": str, "calibrate": bool,
          "calibration_logit": (int, float), "threshold": (int, float), "max_text_tokens": int,
          "window_overlap": int, "aggregate": str, "exemplar_max_chars": int, "seed": int,
          "exemplar_ids": list, "tuned_on": dict}  # fmt: skip


@dataclass
class FewShotConfig:
    """Everything that defines a prompted classifier; saved as JSON."""

    model: str = "smollm2-135m"
    instruction: str = prompts.DEFAULT_INSTRUCTION
    k: int = 4
    selection: str = "balanced"
    calibrate: bool = False
    calibration_logit: float = 0.0  # mean yes-minus-no logit on content-free inputs
    threshold: float = 0.5
    max_text_tokens: int = 384  # window size; longer texts are read as several windows
    window_overlap: int = windows.DEFAULT_OVERLAP
    aggregate: str = "max"  # windows -> document (pii.classifiers.windows), chosen on valid
    exemplar_max_chars: int = 400
    seed: int = 13
    exemplar_ids: list[str] = field(default_factory=list)  # filled for `balanced`
    tuned_on: dict[str, Any] = field(default_factory=dict)  # provenance and valid metrics
    format_version: int = FORMAT_VERSION

    def save(self, path: str | Path) -> None:
        write_atomic(path, json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> FewShotConfig:
        from pii.formats import read_versioned

        path = Path(path)
        fix = "re-run `pii baseline tune`"
        data = read_versioned(
            path, "baseline config", FORMAT_VERSION, fix, error=ConfigError, optional=_TYPES
        )
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{path}: unknown keys {sorted(unknown)}")
        cfg = cls(**data)
        cfg.validate(str(path))
        return cfg

    def validate(self, where: str = "config") -> None:
        if self.instruction not in prompts.INSTRUCTIONS:
            raise ConfigError(
                f"{where}: instruction '{self.instruction}' unknown; "
                f"use one of {', '.join(prompts.INSTRUCTIONS)}"
            )
        if self.selection not in SELECTIONS:
            raise ConfigError(
                f"{where}: selection '{self.selection}' unknown; use balanced or nearest"
            )
        if self.k < 0 or self.k % 2:
            raise ConfigError(f"{where}: k={self.k}: use an even number >= 0 (half yes, half no)")
        if not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"{where}: threshold {self.threshold} outside [0, 1]")
        if self.aggregate not in windows.AGGREGATES:
            raise ConfigError(
                f"{where}: aggregate '{self.aggregate}' unknown; "
                f"use one of {', '.join(windows.AGGREGATES)}"
            )
        if self.window_overlap < 0 or self.max_text_tokens < 1:
            raise ConfigError(
                f"{where}: window_overlap {self.window_overlap} and max_text_tokens "
                f"{self.max_text_tokens}: use an overlap >= 0 and a positive window size"
            )


@dataclass(frozen=True)
class Exemplar:
    id: str
    text: str
    has_pii: bool


def balanced_exemplars(
    pool: Sequence[Exemplar], k: int, seed: int, max_chars: int
) -> list[Exemplar]:
    """k/2 positives and k/2 negatives, short ones, seeded; interleaved in a seeded order."""
    rng = random.Random(seed)
    short = [e for e in pool if len(e.text) <= max_chars] or list(pool)
    pos = [e for e in short if e.has_pii]
    neg = [e for e in short if not e.has_pii]
    if len(pos) < k // 2 or len(neg) < k // 2:
        raise ConfigError(
            f"exemplar pool too small for k={k}: {len(pos)} positives, {len(neg)} negatives"
        )
    chosen = rng.sample(pos, k // 2) + rng.sample(neg, k // 2)
    rng.shuffle(chosen)
    return chosen


class NearestExemplars:
    """Per text, the k/2 most similar positives and negatives (character 3-5-gram TF-IDF)."""

    def __init__(self, pool: Sequence[Exemplar], max_chars: int):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.pool = [e for e in pool if len(e.text) <= max_chars] or list(pool)
        self.vec = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True
        )
        self.matrix = self.vec.fit_transform([e.text for e in self.pool])
        self.is_pos = np.array([e.has_pii for e in self.pool])

    def __call__(self, text: str, k: int) -> list[Exemplar]:
        sims = (self.matrix @ self.vec.transform([text]).T).toarray().ravel()
        picked: list[tuple[float, Exemplar]] = []
        for label in (True, False):
            idx = np.flatnonzero(self.is_pos == label)
            best = idx[np.argsort(-sims[idx], kind="stable")[: k // 2]]
            picked += [(sims[i], self.pool[i]) for i in best]
        picked.sort(key=lambda p: p[0])  # most similar last, closest to the question
        return [e for _, e in picked]


class FewShotClassifier:
    """Prompted LLM classifier. `predict_proba` follows pii.classifiers.protocol.Classifier."""

    def __init__(
        self,
        engine: Any,
        config: FewShotConfig,
        pool: Sequence[Exemplar] = (),
        batch_size: int = 8,
        prefix_cache: bool = True,
    ):
        config.validate()
        self.engine = engine
        self.config = config
        self.name = f"fewshot-k{config.k}-{config.selection}"
        self.threshold = config.threshold
        self.batch_size = batch_size
        self.prefix_cache = prefix_cache
        # Per text of the last call: its windows and the character span of the best one.
        self.windows: list[int] = []
        self.best_spans: list[tuple[int, int]] = []
        self.window_logits = np.zeros(0)  # per window of the last call, in text order
        self.prompt_tokens: list[int] = []  # prompt tokens per text (all its windows), last call
        self.processed_tokens = 0  # tokens actually run in the last call (cache hits excluded)
        by_id = {e.id: e for e in pool}
        if config.k and config.selection == "balanced":
            if config.exemplar_ids:
                missing = [i for i in config.exemplar_ids if i not in by_id]
                if missing:
                    raise ConfigError(
                        f"exemplars {missing[:3]} not in the training pool; "
                        "re-run `pii baseline tune` against this pool"
                    )
                self._fixed = [by_id[i] for i in config.exemplar_ids]
            else:
                self._fixed = balanced_exemplars(
                    pool, config.k, config.seed, config.exemplar_max_chars
                )
                config.exemplar_ids = [e.id for e in self._fixed]
        else:
            self._fixed = []
        self._nearest = (
            NearestExemplars(pool, config.exemplar_max_chars)
            if (config.k and config.selection == "nearest")
            else None
        )
        tok_ids = {
            lab: [engine.encode(v)[0] for v in vs] for lab, vs in prompts.LABEL_VARIANTS.items()
        }
        self._yes = sorted(set(tok_ids[prompts.YES]))
        self._no = sorted(set(tok_ids[prompts.NO]))
        self._rows = engine.label_rows(self._yes + self._no)

    # -- prompts ------------------------------------------------------------------------
    def _exemplars(self, text: str) -> list[tuple[str, bool]]:
        chosen = self._nearest(text, self.config.k) if self._nearest else self._fixed
        return [(e.text, e.has_pii) for e in chosen]

    def prompt_parts(self, text: str) -> tuple[list[int], list[int]]:
        """(shared prefix ids, per-text suffix ids) for one text."""
        msgs = prompts.messages(self.config.instruction, self._exemplars(text), text)
        full = self.engine.render(msgs, generation_prompt=True)
        if not self.prefix_cache:
            return [], self.engine.encode(full)
        head = self.engine.render(msgs[:-1], generation_prompt=False)
        if not full.startswith(head):  # a template that rewrites earlier turns
            return [], self.engine.encode(full)
        return self.engine.encode(head), self.engine.encode(full[len(head) :])

    # -- scoring ------------------------------------------------------------------------
    def logits(
        self,
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
        per_window: bool = False,
    ) -> np.ndarray:
        """Uncalibrated yes-minus-no log-odds per text, its windows' aggregated; `progress`
        counts texts done, each window its share of its text (windows with `per_window`, for
        a few very long texts)."""
        run_before = self.engine.tokens_run
        spans = [self.text_windows(t) for t in texts]
        owner = [d for d, sp in enumerate(spans) for _ in sp]
        parts = [
            self.prompt_parts(t[a:b]) for t, sp in zip(texts, spans, strict=True) for a, b in sp
        ]
        self.windows = [len(sp) for sp in spans]
        window_tokens = [len(p) + len(s) for p, s in parts]
        self.prompt_tokens = (
            [int(x) for x in np.add.reduceat(window_tokens, windows.starts(self.windows))]
            if parts
            else []
        )
        out = np.zeros(len(parts))
        # Each prefix's items apart, cut into length buckets (pii.classifiers.batch_plan).
        by_prefix: dict[tuple[int, ...], list[int]] = {}
        for i, (prefix_ids, _) in enumerate(parts):
            by_prefix.setdefault(tuple(prefix_ids), []).append(i)
        shuffle, reported = random.Random(len(parts)).shuffle, 0.0
        for prefix_key in sorted(by_prefix):
            items = by_prefix[prefix_key]
            # Buckets in a seeded random order, each window counted as its share of its text:
            # progress moves evenly and a log's ETA holds (shortest first, the long texts all
            # came last). Each bucket is scored alone, so the order changes no score.
            buckets = batch_plan.plan([len(parts[i][1]) for i in items], self.batch_size)
            shuffle(buckets)
            for cut in buckets:
                batch = [items[c] for c in cut]
                out[batch] = self._score_batch(list(prefix_key), [parts[i][1] for i in batch])
                if progress:
                    shares = (1.0 / self.windows[owner[i]] for i in batch)
                    step = len(batch) if per_window else sum(shares)
                    reported += step
                    progress(step)
        if progress and not per_window and len(texts) - reported:
            progress(len(texts) - reported)  # the shares' rounding: the total ends exact
        self.processed_tokens = self.engine.tokens_run - run_before
        self.window_logits = out
        best = windows.best(out, self.windows)
        self.best_spans = [sp[b] for sp, b in zip(spans, best, strict=True)]
        return self.aggregate(out, self.windows)

    def text_windows(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the windows this classifier reads `text` as."""
        return windows.of_text(
            self.engine, text, self.config.max_text_tokens, self.config.window_overlap
        )

    def aggregate(self, window_logits: np.ndarray, counts: Sequence[int]) -> np.ndarray:
        """Per-text log-odds from per-window ones (the prompt's bias off first, for noisy-OR)."""
        shift = self.config.calibration_logit if self.config.calibrate else 0.0
        return windows.aggregate(window_logits - shift, counts, self.config.aggregate) + shift

    def _score_batch(self, prefix_ids: list[int], suffixes: list[list[int]]) -> np.ndarray:
        """Yes-minus-no log-odds of one batch sharing `prefix_ids` (log-sum-exp over each
        label's token variants)."""
        prefix = self.engine.prefix(prefix_ids) if prefix_ids else None
        return yes_minus_no(self.engine.label_scores(prefix, suffixes, self._rows), len(self._yes))

    def calibration_logit(self) -> float:
        """Mean yes-minus-no log-odds on content-free inputs (the prompt's own bias)."""
        saved = self.prompt_tokens, self.windows, self.best_spans, self.window_logits
        value = float(np.mean(self.logits(list(CONTENT_FREE))))
        self.prompt_tokens, self.windows, self.best_spans, self.window_logits = saved
        return value

    def proba_from_logits(self, logits: np.ndarray) -> np.ndarray:
        shift = self.config.calibration_logit if self.config.calibrate else 0.0
        return as_proba(1.0 / (1.0 + np.exp(-(logits - shift))))

    def predict_proba(
        self,
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
        per_window: bool = False,
    ) -> np.ndarray:
        return self.proba_from_logits(self.logits(texts, progress, per_window))

    def locations(self) -> list[dict[str, Any]]:
        """Per text of the last call: its windows and the best window's span [start, end)."""
        return [
            {"windows": n, "span": list(span)}
            for n, span in zip(self.windows, self.best_spans, strict=True)
        ]

    def generate(
        self,
        texts: Sequence[str],
        max_tokens: int = 4,
        progress: Callable[[int], None] | None = None,
    ) -> list[bool | None]:
        """Greedy answers parsed as labels; None where the answer is neither yes nor no."""
        labels: list[bool | None] = []
        for text in texts:
            answers = []
            for a, b in self.text_windows(text):
                prefix_ids, suffix = self.prompt_parts(text[a:b])
                prefix = self.engine.prefix(prefix_ids) if prefix_ids else None
                answers.append(
                    prompts.parse_answer(self.engine.generate(prefix, suffix, max_tokens))
                )
            # A text holds PII when any window says so; no when every answer is a clear no.
            labels.append(True if True in answers else (None if None in answers else False))
            if progress:
                progress(1)
        return labels


def yes_minus_no(scores: np.ndarray, n_yes: int) -> np.ndarray:
    """Log-odds from label-row logits (n, n_yes + n_no): log-sum-exp over each label's
    token variants, yes minus no."""
    return np.logaddexp.reduce(scores[:, :n_yes], axis=1) - np.logaddexp.reduce(
        scores[:, n_yes:], axis=1
    )


def default_config_path(model: str) -> Path:
    slug = Path(model).name if "/" in model else model
    return project_path(Path("bench/baselines") / f"{slug}.json")


def pool_from_records(records: Sequence[dict[str, Any]]) -> list[Exemplar]:
    return [Exemplar(r["id"], r["text"], bool(r["has_pii"])) for r in records]


def load_fewshot(
    model: str,
    config_path: Path | None = None,
    train: str | Path = "golden/train.jsonl",
    engine: Any = None,
    **kwargs: Any,
) -> FewShotClassifier:
    """The tuned baseline for `model` (or the config given), ready to classify."""
    from pii.golden.schema import read_records

    path = config_path or default_config_path(model)
    cfg = _tuned_config(model, config_path)
    if cfg.model != model and config_path is None:
        raise ConfigError(f"{path} was tuned for model '{cfg.model}', not '{model}'")
    pool = pool_from_records(read_records(project_path(train))) if cfg.k else []
    if engine is None:
        from pii.engine.mlx_engine import load_engine

        engine = load_engine(model)
    return FewShotClassifier(engine, cfg, pool, **kwargs)


def load(model: str, config: Path | None = None, adapter: Path | None = None) -> Any:
    """The registry's loader: the tuned baseline for `model` (or the config given)."""
    return load_fewshot(model, config)


def check(model: str, config: Path | None = None, adapter: Path | None = None) -> None:
    """The registry's pre-flight check: the tuned config is there and valid (no model load)."""
    _tuned_config(model, config)


def _tuned_config(model: str, config: Path | None) -> FewShotConfig:
    """The config given, or the tuned one for `model`; ConfigError saying how to make it."""
    path = config or default_config_path(model)
    if config is None and not path.exists():
        raise ConfigError(
            f"no tuned baseline for model '{model}' at {path}: "
            f"run `pii baseline tune --model {model}` (or pass --config)"
        )
    return FewShotConfig.load(path)
