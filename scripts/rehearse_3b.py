"""Rehearse the ~3B Mac path on this machine (issue 18): a random-weight llama of
Llama-3.2-3B-Instruct's exact shape, quantized to 4 bits by mlx-lm, through pii's own commands.

Stages, each in a fresh process whose wall time, CPU time and peak resident memory are measured
(a watchdog stops a stage that passes --mem-limit-gb, and the row says so):

  build    the model folder: the 3B config, random weights, mlx-lm's quantizer (4-bit, groups
           of 64), SmolLM2's tokenizer files (49,152 tokens; the embedding keeps 128,256 rows)
  load     `precision: quantized`, as on a Mac (weights stay 4-bit)
  train    `pii train` with adapters/recipes/mac-3b-qlora.yaml on the quantized base, shrunk to
           a few steps of short texts (MLX's 4-bit kernels run ~100x below float32 on CPU),
           gradient checkpointing on; the adapter saved, then reloaded by the later stages
  score    quantized scoring with the prefix cache, and the fuse check: the adapter's weights
           are replaced by a seeded random LoRA strong enough to move every score (a trained
           adapter this short barely does), then scores of that adapter, of the base alone (a
           dropped adapter) and of the update fused into the 4-bit weights (re-quantized, as
           mlx-lm's fuse does without --dequantize) are compared
  fuse     pii's fuse (the one `pii export` uses: into float32 weights), scored on the same texts
  bench    `pii bench --limit 8` (float32 on CPU, as `precision: auto` gives here)
  export   `pii export coreml --precision int4` on the fused model

Writes the table as JSON (--json, default bench/results/rehearsal-3b.json). `--shape tiny` runs
the same stages on a 2-block model in about a minute (tests/test_rehearsal.py).
Left out: the hub download (tests/test_fake_hub.py) and anything that needs Metal.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LLAMA_3B = {  # Llama-3.2-3B-Instruct's config.json, less the token ids (see build())
    "model_type": "llama",
    "hidden_size": 3072,
    "num_hidden_layers": 28,
    "intermediate_size": 8192,
    "num_attention_heads": 24,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "rms_norm_eps": 1e-05,
    "rope_theta": 500000.0,
    "rope_scaling": {
        "factor": 32.0,
        "high_freq_factor": 4.0,
        "low_freq_factor": 1.0,
        "original_max_position_embeddings": 8192,
        "rope_type": "llama3",
    },
    "max_position_embeddings": 131072,
    "vocab_size": 128256,
    "tie_word_embeddings": True,
    "attention_bias": False,
    "mlp_bias": False,
}
TINY = {**LLAMA_3B, "hidden_size": 128, "num_hidden_layers": 2, "intermediate_size": 256,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32}  # fmt: skip
QUANT = {"group_size": 64, "bits": 4}  # mlx-community's Llama-3.2-3B-Instruct-4bit
STAGES = ("build", "load", "train", "score", "fuse", "bench", "export")
N_TEXTS = 3  # texts scored by the score and fuse stages


def _config(shape: str) -> dict:
    return LLAMA_3B if shape == "3b" else TINY


# -- stages run in a child process -------------------------------------------------------------
def build(work: Path, shape: str) -> dict:
    """A random-weight model folder of the shape, quantized by mlx-lm, with a tokenizer."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.models import llama
    from mlx_lm.utils import quantize_model, save_config, save_model

    from pii.engine import models

    smol = models.resolve(models.DEFAULT_MODEL)
    mx.random.seed(0)
    config = {**_config(shape), "bos_token_id": 1, "eos_token_id": 2}  # SmolLM2's tokenizer
    model = llama.Model(llama.ModelArgs.from_dict(config))  # lazy: nothing computed yet
    model, config = quantize_model(model, config, QUANT["group_size"], QUANT["bits"])
    for part in [model.model.embed_tokens, *model.model.layers, model.model.norm]:
        mx.eval(part.parameters())  # one block's float32 weights in memory at a time
    folder = work / "model"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    save_model(folder, model)
    save_config(config, folder / "config.json")
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        shutil.copy(smol / name, folder / name)
    params = sum(v.size for _, v in tree_flatten(model.parameters()))
    size = sum(f.stat().st_size for f in folder.glob("*.safetensors"))
    return {"stored_params": params, "weights_gb": round(size / 1e9, 3)}


def load(work: Path) -> dict:
    from pii.engine.mlx_engine import load_engine

    t0 = time.perf_counter()
    engine = load_engine(str(work / "model"), precision="quantized")
    return {
        "load_s": round(time.perf_counter() - t0, 2),
        "non_embedding_params": engine.non_embedding_params(),
    }


def _texts(work: Path) -> list[str]:
    return [json.loads(x)["text"] for x in (work / "valid.jsonl").read_text().splitlines()]


def score(work: Path) -> dict:
    """Quantized scores of a strong random LoRA, of the base alone, and of mlx-lm's 4-bit fuse."""
    import mlx.core as mx
    from mlx.utils import tree_flatten, tree_unflatten

    from pii.classifiers.adapter import load_adapter_classifier
    from pii.publish import write_manifest

    strong = work / "adapter-strong"
    shutil.rmtree(strong, ignore_errors=True)
    shutil.copytree(work / "adapter", strong)
    weights = mx.load(str(strong / "adapters.safetensors"))
    key = mx.random.key(7)
    for name, w in weights.items():
        if name.endswith("lora_b"):
            key, sub = mx.random.split(key)
            weights[name] = 0.02 * mx.random.normal(w.shape, key=sub)
    mx.save_safetensors(str(strong / "adapters.safetensors"), weights)
    manifest = json.loads((strong / "manifest.json").read_text())
    write_manifest(strong, sorted(manifest["files"]))  # a new adapter, knowingly

    texts = _texts(work)
    clf = load_adapter_classifier(strong, str(work / "model"), precision="quantized")
    net = clf.engine.model

    def logits() -> list[float]:
        clf.engine.clear_cache()
        return [round(float(x), 6) for x in clf.logits(texts)]

    t0 = time.perf_counter()
    out = {"adapter_q": logits()}
    out["score_s_per_text"] = round((time.perf_counter() - t0) / len(texts), 2)
    lora_b = [(n, p) for n, p in tree_flatten(net.parameters()) if n.endswith("lora_b")]
    net.update(tree_unflatten([(n, mx.zeros_like(p)) for n, p in lora_b]))
    out["base_q"] = logits()  # what a dropped adapter gives
    net.update(tree_unflatten(lora_b))
    out["fused_requantized_4bit"] = logits_after_requantized_fuse(net, logits)
    return out


def logits_after_requantized_fuse(net, logits) -> list[float]:
    """What fusing into the quantized base gives (mlx-lm's `fuse` without --dequantize): the
    update folded into dequantized weights, then rounded back to 4 bits."""
    import mlx.nn as nn
    from mlx.utils import tree_unflatten

    def requantized(m):
        q = m.linear
        return nn.QuantizedLinear.from_linear(m.fuse(), q.group_size, q.bits)

    fused = [(n, requantized(m)) for n, m in net.named_modules() if hasattr(m, "fuse")]
    net.update_modules(tree_unflatten(fused))
    return logits()


def fuse(work: Path) -> dict:
    """pii's fuse (pii export's: the adapter fused into float32 weights), on the same texts."""
    from pii.export.coreml import load_fused

    clf = load_fused(work / "adapter-strong", str(work / "model"))
    return {"fused_float32": [round(float(x), 6) for x in clf.logits(_texts(work))]}


CHILDREN = {"build": build, "load": load, "score": score, "fuse": fuse}


# -- the parent: stages as measured processes ---------------------------------------------------
def _rss_gb(pid: int) -> float:
    """Resident memory of a process and all its descendants (`pii bench` starts a fresh
    `pii classify` to time a cold start), in GB."""
    total = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1e6
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _rss_gb(int(child))
    except OSError:
        pass
    return total


def run_stage(name: str, cmd: list[str], work: Path, limit_gb: float, env: dict) -> dict:
    """Run `cmd`; its wall and CPU seconds, peak RSS, and how it ended."""
    log = work / f"{name}.log"
    print(f"[{name}] {' '.join(cmd[1:])}", flush=True)
    t0 = time.perf_counter()
    with log.open("w") as f:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, env=env)
        killed: list[float] = []

        def watch() -> None:
            while proc.poll() is None:
                rss = _rss_gb(proc.pid)
                if rss > limit_gb:
                    killed.append(rss)
                    proc.kill()
                    return
                time.sleep(0.2)

        threading.Thread(target=watch, daemon=True).start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    row = {
        "stage": name,
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_gb": round(usage.ru_maxrss / 1e6, 2),  # Linux: KiB
        "exit": proc.returncode,
    }
    if killed:
        row["status"] = f"stopped by the watchdog at {killed[0]:.1f} GB (--mem-limit-gb {limit_gb})"
    elif proc.returncode == -9:
        row["status"] = "killed by SIGKILL outside the watchdog (on Linux: the OOM killer)"
    elif proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or [""]
        row["status"] = f"failed: {tail[0][:300]}"
    else:
        row["status"] = "ok"
    result = work / f"{name}.json"
    if result.exists():
        row.update(json.loads(result.read_text()))
    print(f"[{name}] {row['status']}: {row['wall_s']} s, peak {row['peak_rss_gb']} GB", flush=True)
    return row


def _short_records(src: Path, n: int) -> list[str]:
    """The n shortest records of a golden file, half with PII (Faker-made, no real people)."""
    rows = [json.loads(x) for x in src.read_text().splitlines()]
    rows.sort(key=lambda r: len(r["text"]))
    pos = [r for r in rows if r["has_pii"]][: (n + 1) // 2]
    neg = [r for r in rows if not r["has_pii"]][: n // 2]
    return [json.dumps(r) for r in pos + neg]


def commands(work: Path, shape: str) -> dict[str, list[str]]:
    py, model, adapter = sys.executable, str(work / "model"), str(work / "adapter")
    me = [py, str(Path(__file__).resolve()), "--work", str(work), "--shape", shape, "--child"]
    recipe = ["--config", "adapters/recipes/mac-3b-qlora.yaml", "--model", model]
    if shape == "tiny":
        recipe += ["--num-layers", str(TINY["num_hidden_layers"])]
    fewshot = json.loads((ROOT / "bench/baselines/smollm2-135m.json").read_text())
    (work / "fewshot.json").write_text(json.dumps({**fewshot, "model": model}))
    return {
        "build": [*me, "build"],
        "load": [*me, "load"],
        "train": [py, "-m", "pii", "train", *recipe, "--plain", "--iters", "2",
                  "--batch-size", "1", "--max-tokens", "16", "--steps-per-eval", "2",
                  "--train", str(work / "train.jsonl"), "--valid", str(work / "valid.jsonl"),
                  "--out", adapter, "--force"],
        "score": [*me, "score"],
        "fuse": [*me, "fuse"],
        "bench": [py, "-m", "pii", "bench", "--model", model, "--adapter", adapter,
                  "--config", str(work / "fewshot.json"), "--classifiers", "fewshot,adapter,rules",
                  "--no-ood", "--limit", "8", "--latency-n", "2", "--sweep-n", "0",
                  "--out", str(work / "bench")],
        "export": [py, "-m", "pii", "export", "coreml", "--adapter", adapter, "--model", model,
                   "--precision", "int4", "--out", str(work / "PiiClassifier3B.mlpackage")],
    }  # fmt: skip


def train_figures(work: Path, config: dict) -> dict:
    """The training step as measured, and its compute: per token, a forward through every
    block, the adapted blocks' forward again (gradient checkpointing) and their backward
    (twice a forward), plus the tied head's full-vocabulary logits and their backward."""
    try:
        info = json.loads((work / "adapter" / "training.json").read_text())
    except (OSError, ValueError):
        return {}
    d, n_blocks = config["hidden_size"], config["num_hidden_layers"]
    adapted = info["config"]["num_layers"]
    per_block = (
        2 * d * config["num_attention_heads"] * config["head_dim"]
        + 2 * d * config["num_key_value_heads"] * config["head_dim"]
        + 3 * d * config["intermediate_size"]
    )
    passes = n_blocks + (3 if info["config"].get("grad_checkpoint") else 2) * adapted
    flop_per_token = 2 * per_block * passes + 3 * 2 * d * config["vocab_size"]
    tokens_per_step = info["input_tokens"] / info["steps"]
    step_s = info["train_seconds"] / info["steps"]
    flop_step = flop_per_token * tokens_per_step
    return {
        "steps": info["steps"],
        "batch_size": info["config"]["batch_size"],
        "tokens_per_step": round(tokens_per_step, 1),
        "seconds_per_step": round(step_s, 1),
        "tflop_per_step": round(flop_step / 1e12, 3),
        "gflop_per_s": round(flop_step / step_s / 1e9, 2),
        "tflop_per_token": round(flop_per_token / 1e12, 5),
        "trainable_parameters": info["trainable_parameters"],
        "mlx_peak_memory_gb": info["peak_memory_gb"],
        "eval_seconds": info["best"].get("eval_seconds"),
        "val_texts": info["n_valid_scored"],
    }


def fuse_check(rows: dict[str, dict]) -> dict:
    """How far each fuse lands from the adapter's scores, beside how far a dropped adapter does."""
    import numpy as np

    score, fuse = rows.get("score", {}), rows.get("fuse", {})
    if "adapter_q" not in score:
        return {}
    a = np.array(score["adapter_q"])
    gap = {k: float(np.abs(np.array(v) - a).max()) for k, v in
           (("base_q", score["base_q"]), ("fused_requantized_4bit", score["fused_requantized_4bit"]),
            ("fused_float32", fuse.get("fused_float32")))
           if v is not None}  # fmt: skip
    return {"max_abs_logit_gap_from_adapter": gap, "n_texts": len(a)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", choices=("3b", "tiny"), default="3b")
    ap.add_argument("--work", type=Path, default=Path("/tmp/pii-rehearsal-3b"))
    ap.add_argument("--json", type=Path, help="default bench/results/rehearsal-3b.json (3b)")
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--mem-limit-gb", type=float, default=15.0)
    ap.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = args.work.resolve()
    if args.child:
        child = CHILDREN[args.child]
        result = child(work, args.shape) if args.child == "build" else child(work)
        (work / f"{args.child}.json").write_text(json.dumps(result))
        return
    stages = [s.strip() for s in args.stages.split(",")]
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise SystemExit(f"--stages: unknown {', '.join(unknown)}; use some of {', '.join(STAGES)}")
    work.mkdir(parents=True, exist_ok=True)
    (work / "train.jsonl").write_text(
        "\n".join(_short_records(ROOT / "golden/train.jsonl", 4)) + "\n"
    )
    (work / "valid.jsonl").write_text(
        "\n".join(_short_records(ROOT / "golden/valid.jsonl", N_TEXTS)) + "\n"
    )
    env = {**os.environ, "PII_CACHE": str(work / "cache")}
    out = args.json or (
        ROOT / "bench/results/rehearsal-3b.json" if args.shape == "3b" else work / "rehearsal.json"
    )
    rows = previous_rows(out, args.shape)  # a re-run stage replaces its row; the rest stay
    cmds = commands(work, args.shape)
    for name in stages:
        (work / f"{name}.json").unlink(missing_ok=True)
        rows[name] = run_stage(name, cmds[name], work, args.mem_limit_gb, env)
        write_report(out, args, {s: rows[s] for s in STAGES if s in rows})
        if rows[name]["status"] != "ok":
            break  # the later stages read what this one writes
    print(f"wrote {out}")


def previous_rows(out: Path, shape: str) -> dict[str, dict]:
    try:
        report = json.loads(out.read_text())
    except (OSError, ValueError):
        return {}
    if report.get("shape") != shape:
        return {}
    return {row["stage"]: row for row in report.get("stages", [])}


def write_report(out: Path, args: argparse.Namespace, rows: dict[str, dict]) -> None:
    config = _config(args.shape)
    report = {
        "shape": args.shape,
        "config": config,
        "quantization": QUANT,
        "cpu_count": os.cpu_count(),
        "mem_limit_gb": args.mem_limit_gb,
        "stages": list(rows.values()),
        "train": train_figures(args.work.resolve(), config) if "train" in rows else {},
        "fuse_check": fuse_check(rows),
    }
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(out)


if __name__ == "__main__":
    main()
