"""Tuning the few-shot baseline on the validation split, and loading the tuned result.

The search is staged so that it fits a CPU: (1) instruction variants at k=4 balanced;
(2) k in {0, 2, 4, 8, 16} with the best instruction; (3) nearest-neighbour exemplars at
the best k, on a subset (no shared prefix, so ~10x the cost per text), compared with
balanced on the same subset. Contextual calibration and the decision threshold are chosen
post hoc from each candidate's scores (they cost nothing). The test split is never read.

Left out: printing (CLI) and the model (pii.engine).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pii.classifiers import prompts, windows
from pii.classifiers.fewshot import Exemplar, FewShotClassifier, FewShotConfig, pool_from_records
from pii.errors import ConfigError
from pii.golden.sample import subset
from pii.hashing import sha256_file
from pii.metrics import scores as metrics

KS = (0, 2, 4, 8, 16)


def tune(
    engine: Any,
    pool: Sequence[Exemplar],
    valid: Sequence[dict[str, Any]],
    *,
    model: str,
    ks: Sequence[int] = KS,
    instructions: Sequence[str] | None = None,
    nearest_limit: int = 120,
    gen_limit: int = 100,
    seed: int = 13,
    log: Callable[[str], None] = print,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> FewShotConfig:
    """Search prompt configurations on `valid`; return the best, with the search recorded."""
    instructions = list(instructions or prompts.INSTRUCTIONS)
    if any(k < 0 or k % 2 for k in ks):
        raise ConfigError(f"k values {list(ks)}: use even numbers >= 0")
    texts = [r["text"] for r in valid]
    y = np.array([r["has_pii"] for r in valid])
    rows: list[dict[str, Any]] = []
    scores: dict[int, np.ndarray] = {}  # each candidate's log-odds, so the winner is not re-run

    def evaluate(cfg: FewShotConfig, idx: Sequence[int]) -> dict[str, Any]:
        clf = FewShotClassifier(engine, cfg, pool)
        advance = (
            progress(f"{cfg.instruction} k={cfg.k} {cfg.selection}", len(idx)) if progress else None
        )
        t0 = time.perf_counter()
        clf.logits([texts[i] for i in idx], advance)
        seconds = time.perf_counter() - t0
        per_window, counts = clf.window_logits, clf.windows
        best: dict[str, Any] = {}
        best_logits = np.zeros(0)
        for calibrate in (False, True) if cfg.selection == "balanced" else (False,):
            shift = clf.calibration_logit() if calibrate else 0.0
            for how in windows.AGGREGATES:  # long texts: how windows make a document
                z = windows.aggregate(per_window - shift, counts, how)
                thr, f1 = metrics.best_threshold(y[list(idx)], 1.0 / (1.0 + np.exp(-z)))
                row = {
                    "instruction": cfg.instruction,
                    "k": cfg.k,
                    "selection": cfg.selection,
                    "calibrate": calibrate,
                    "calibration_logit": round(shift, 4),
                    "aggregate": how,
                    "threshold": thr,
                    "f1": round(f1, 4),
                    "n": len(idx),
                    "windows": int(sum(counts)),
                    "seconds": round(seconds, 1),
                    "mean_prompt_tokens": round(float(np.mean(clf.prompt_tokens)), 1),
                    "exemplar_ids": list(cfg.exemplar_ids),
                }
                if not best or row["f1"] > best["f1"]:
                    best, best_logits = row, z + shift
        rows.append(best)
        scores[id(best)] = best_logits
        log(
            f"  {cfg.instruction:9s} k={cfg.k:<2d} {cfg.selection:8s} calibrate={best['calibrate']!s:5s} "
            f"{best['aggregate']:8s} "
            f"F1={best['f1']:.3f} (n={len(idx)}, {seconds:.0f}s, {best['mean_prompt_tokens']:.0f} tokens/text)"
        )
        return best

    base = FewShotConfig(model=model, seed=seed)
    every = range(len(valid))

    def run(cfg: FewShotConfig, idx: Sequence[int] = every) -> dict[str, Any]:
        return evaluate(replace(cfg, exemplar_ids=[]), idx)

    log("stage 1: instruction (k=4, balanced)")
    k1 = 4 if 4 in ks else max(ks)
    stage1 = [run(replace(base, instruction=i, k=k1)) for i in instructions]
    best_instr = max(stage1, key=lambda r: r["f1"])["instruction"]
    log(f"stage 2: k (instruction={best_instr}, balanced)")
    stage2 = [r for r in stage1 if r["instruction"] == best_instr]
    stage2 += [run(replace(base, instruction=best_instr, k=k)) for k in ks if k != k1]
    top = max(stage2, key=lambda r: (r["f1"], -r["k"]))
    best_k = top["k"]
    if best_k > 0 and nearest_limit > 0:
        log(f"stage 3: nearest vs balanced exemplars (k={best_k}, {nearest_limit} items)")
        sub = sorted(random.Random(seed).sample(list(every), min(nearest_limit, len(valid))))
        same = run(replace(base, instruction=best_instr, k=best_k), sub)
        near = run(replace(base, instruction=best_instr, k=best_k, selection="nearest"), sub)
        if near["f1"] > same["f1"]:
            log("  nearest wins on the subset: re-scoring it on the whole split")
            top = run(replace(base, instruction=best_instr, k=best_k, selection="nearest"))
    winner = replace(
        base,
        instruction=top["instruction"],
        k=top["k"],
        selection=top["selection"],
        calibrate=top["calibrate"],
        calibration_logit=top["calibration_logit"],
        aggregate=top["aggregate"],
        threshold=top["threshold"],
        exemplar_ids=top["exemplar_ids"],
    )
    clf = FewShotClassifier(engine, winner, pool)
    p = clf.proba_from_logits(scores[id(top)])[:, 1]
    summary = metrics.summary(y, p >= winner.threshold)
    gen_idx = sorted(random.Random(seed).sample(list(every), min(gen_limit, len(valid))))
    advance = progress("generation mode", len(gen_idx)) if progress else None
    answers = clf.generate([texts[i] for i in gen_idx], progress=advance)
    failures = sum(a is None for a in answers)
    answered = [(a, y[i]) for a, i in zip(answers, gen_idx, strict=True) if a is not None]
    gen_acc = float(np.mean([a == t for a, t in answered])) if answered else 0.0
    log(
        f"generation mode: {failures}/{len(gen_idx)} format failures, "
        f"accuracy {gen_acc:.3f} on the answered ones"
    )
    winner.tuned_on = {
        "valid_n": len(valid),
        "valid_metrics": summary,
        "search": rows,
        "generation": {
            "n": len(gen_idx),
            "format_failures": failures,
            "format_failure_rate": round(failures / max(1, len(gen_idx)), 4),
            "accuracy_answered": round(gen_acc, 4),
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return winner


def tune_files(
    model: str, train: Path, valid: Path, out: Path, limit: int | None = None, **kwargs: Any
) -> FewShotConfig:
    """`tune` on files; records their hashes and writes the config to `out`."""
    from pii.engine.mlx_engine import load_engine
    from pii.golden.held_out import refuse
    from pii.golden.schema import read_records

    for path in (train, valid):
        refuse(path, "tuning the few-shot baseline")
    valid_records = subset(read_records(valid), limit, kwargs.get("seed", 13))
    pool = pool_from_records(read_records(train))
    t0 = time.perf_counter()
    cfg = tune(load_engine(model), pool, valid_records, model=model, **kwargs)
    cfg.tuned_on.update(
        {
            "valid_file": str(valid),
            "valid_sha256": sha256_file(valid),
            "train_file": str(train),
            "train_sha256": sha256_file(train),
            "seconds": round(time.perf_counter() - t0, 1),
        }
    )
    cfg.save(out)
    return cfg
