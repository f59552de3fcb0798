"""Checking an exported package numerically against the MLX classifier it came from.

`verify` runs the saved ML Program in numpy, op by op (pii.export.milcheck), on the same
prompts the MLX classifier scores, and on macOS CoreML itself; `check_passes` applies the
bar (float32 reproduces the probabilities, compressed variants the decisions).

Left out: building the package (pii.export.coreml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pii.classifiers import windows
from pii.export import milcheck
from pii.export.coreml import encode_prompt


def pad(rows: list[list[int]]) -> dict[str, np.ndarray]:
    """Right-padded `input_ids` and `attention_mask` for a batch of token-id lists."""
    width = max(len(r) for r in rows)
    return {
        "input_ids": np.array([r + [0] * (width - len(r)) for r in rows], dtype=np.int32),
        "attention_mask": np.array(
            [[1] * len(r) + [0] * (width - len(r)) for r in rows], dtype=np.int32
        ),
    }


def verify(path: Path, reference: Any, texts: list[str], batch: int = 8) -> dict[str, Any]:
    """The saved package's P(PII) against the MLX classifier's on `texts`.

    The package's program is run in numpy, op by op (pii.export.milcheck), on right-padded batches;
    on macOS CoreML itself (MLModel.predict) is checked too.
    """
    import platform

    p_ref = reference.predict_proba(texts)[:, 1]
    # Long texts are scored as an app must: every window, then the classifier's aggregate.
    spans = [reference.text_windows(t) for t in texts]
    counts = [len(s) for s in spans]
    ids = [
        encode_prompt(reference, t[a:b]) for t, s in zip(texts, spans, strict=True) for a, b in s
    ]
    batches = [pad(ids[i : i + batch]) for i in range(0, len(ids), batch)]
    program = milcheck.Program(path)
    p_win = np.concatenate([program.predict(b)["pii_probability"] for b in batches])
    how = reference.config.aggregate
    result = _agreement(documents(p_win, counts, how), p_ref, reference.threshold)
    result |= {
        "n": len(texts),
        "windows": int(sum(counts)),
        "texts_with_several_windows": int(sum(c > 1 for c in counts)),
        "aggregate": how,
        "evaluator": "MIL program in numpy, op by op",
    }
    if platform.system() == "Darwin":
        import coremltools as ct

        model = ct.models.MLModel(str(path))
        p_ml = np.concatenate([model.predict(b)["pii_probability"] for b in batches])
        result["coreml"] = _agreement(documents(p_ml, counts, how), p_ref, reference.threshold)
    return result


def documents(p_windows: np.ndarray, counts: list[int], how: str) -> np.ndarray:
    """Per-text P(PII) from the package's per-window probabilities, as the app computes it."""
    p = np.clip(np.asarray(p_windows, dtype=np.float64).ravel(), 1e-12, 1 - 1e-12)
    z = windows.aggregate(np.log(p) - np.log1p(-p), counts, how)
    return 1.0 / (1.0 + np.exp(-z))


# The bar a package must clear: float32 reproduces the MLX probabilities; the compressed
# variants reproduce its decisions.
MAX_DIFF_FP32 = 1e-3
MIN_AGREEMENT = 0.99


def check_passes(result: dict[str, Any], precision: str) -> bool:
    """Whether `verify`'s result (and CoreML's own, on macOS) clears the bar."""
    for r in (result, result.get("coreml")):
        if r is None:
            continue
        if precision == "fp32" and r["max_abs_diff"] > MAX_DIFF_FP32:
            return False
        if r["decision_agreement"] < MIN_AGREEMENT:
            return False
    return True


def _agreement(p: np.ndarray, p_ref: np.ndarray, threshold: float) -> dict[str, float]:
    p = np.asarray(p, dtype=np.float64).ravel()
    return {
        "max_abs_diff": float(np.max(np.abs(p - p_ref))),
        "decision_agreement": float(np.mean((p >= threshold) == (p_ref >= threshold))),
    }
