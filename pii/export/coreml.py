"""CoreML export of the adapted classifier: what an iOS/macOS app embeds.

The LoRA adapter is fused into the float32 base with mlx-lm's own `fuse`; the fused weights
(mlx-lm keeps transformers' names and layout) go into transformers' model class for the
architecture; a thin head adds what pii.engine.mlx_engine computes: the final hidden state at the last
real token, projected onto the yes/no label rows and pooled with logsumexp, so that
P(PII) = sigmoid(yes - no). torch.jit.trace and coremltools turn that into an ML Program
with flexible sequence length; weights are then compressed for int8/int4.

The decision threshold, labels, prompt template and hashes travel in the package metadata;
the tokenizer is written beside the package. Left out: numeric verification
(pii.export.verify, on pii.export.milcheck).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pii.errors import ConfigError, ModelError
from pii.export.milcheck import quiet
from pii.hashing import sha256_file
from pii.publish import replace_dir

PRECISIONS = ("fp32", "fp16", "int8", "int4")
# Oldest OS target each precision runs on: ML Programs need macOS 13 / iOS 16; blockwise
# int4 weights need macOS 15 / iOS 18.
TARGETS = {"macOS13": 13, "macOS14": 14, "macOS15": 15, "iOS16": 13, "iOS17": 14, "iOS18": 15}
MIN_TARGET = {"fp32": "macOS13", "fp16": "macOS13", "int8": "macOS13", "int4": "macOS15"}
SUPPORTED = ("llama",)  # architectures whose export is verified
TEXT_MARK = "\u2063PII_TEXT\u2063"  # stands for the text while the prompt template is rendered


@dataclass
class Export:
    path: Path
    tokenizer_dir: Path
    precision: str
    target: str
    size_mb: float
    metadata: dict[str, str]


def require_extra() -> None:
    """The export's own dependencies are an extra: say how to get them."""
    import importlib.util

    quiet()

    missing = [m for m in ("coremltools", "torch") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"CoreML export needs {' and '.join(missing)}: pip install -e '.[coreml]' "
            "(make setup installs it)"
        )


def check_target(precision: str, target: str | None) -> tuple[str, str | None]:
    """(target to use, a note when it was picked for the user); errors for an impossible pair."""
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision '{precision}': use one of {', '.join(PRECISIONS)}")
    need = MIN_TARGET[precision]
    if target is None:
        note = (
            f"{precision} weights need the macOS 15 / iOS 18 target: using {need}"
            if precision == "int4"
            else None
        )
        return need, note
    if target not in TARGETS:
        raise ConfigError(f"unknown target '{target}': use one of {', '.join(TARGETS)}")
    if TARGETS[target] < TARGETS[need]:
        raise ConfigError(
            f"{precision} weights need macOS 15 / iOS 18 or newer, not {target}: "
            "drop --target or pick macOS15/iOS18"
        )
    return target, None


def require_adapter(adapter: Path) -> None:
    """Refuse a folder without adapter weights or a readable training record, before any
    work starts."""
    from pii.engine.adapters import read_training

    if not (adapter / "adapters.safetensors").exists():
        raise ConfigError(
            f"{adapter}: no adapter there (adapters.safetensors missing); "
            "train one with `pii train` or pass --adapter adapters/NAME"
        )
    read_training(adapter)


def load_fused(adapter: Path, model: str | None = None) -> Any:
    """The adapter classifier (float32) with its LoRA layers fused into plain linears."""
    from mlx.utils import tree_unflatten

    from pii.classifiers.adapter import load_adapter_classifier

    require_adapter(adapter)
    clf = load_adapter_classifier(adapter, model, precision="float32")
    net = clf.engine.model
    arch = getattr(net, "model_type", None) or getattr(net.args, "model_type", "?")
    if arch not in SUPPORTED:
        raise ModelError(
            f"architecture '{arch}' is not supported by the CoreML exporter "
            f"(supported: {', '.join(SUPPORTED)})"
        )
    fused = [(n, m.fuse()) for n, m in net.named_modules() if hasattr(m, "fuse")]
    if fused:
        net.update_modules(tree_unflatten(fused))
    clf.engine.clear_cache()
    return clf


def torch_head(clf: Any) -> Any:
    """A torch module (input_ids, attention_mask) -> (pii_probability, label_logits)."""
    import torch
    from mlx.utils import tree_flatten
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = json.loads((Path(clf.engine.model_dir) / "config.json").read_text())
    for key in ("quantization", "quantization_config"):
        cfg.pop(key, None)
    arch = cfg.pop("model_type")
    config = AutoConfig.for_model(arch, **cfg)
    config._attn_implementation = "eager"
    lm = AutoModelForCausalLM.from_config(config)
    weights = {
        n: torch.from_numpy(np.array(p, dtype=np.float32))
        for n, p in tree_flatten(clf.engine.model.parameters())
    }
    missing, unexpected = lm.load_state_dict(weights, strict=False)
    if unexpected or [m for m in missing if not m.startswith("lm_head")]:
        raise ModelError(
            f"model '{clf.engine.name}': weights do not map onto {arch} "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    rows = torch.from_numpy(np.array(clf._rows, dtype=np.float32))
    shift = clf.config.calibration_logit if clf.config.calibrate else 0.0
    return _Head(lm.model.eval(), rows, len(clf._yes), shift).eval()


def _head_class() -> type:
    import torch

    class Head(torch.nn.Module):
        def __init__(self, decoder: Any, rows: Any, n_yes: int, shift: float):
            super().__init__()
            self.decoder = decoder
            self.register_buffer("rows", rows)
            self.n_yes = n_yes
            self.shift = float(shift)

        def forward(self, input_ids: Any, attention_mask: Any) -> tuple[Any, Any]:
            mask = attention_mask.to(torch.float32)
            # Positions without arange on a traced length; right padding keeps them exact.
            pos = torch.cumsum(torch.ones_like(input_ids), dim=1) - 1
            causal = (pos[:, None, :] <= pos[:, :, None]).to(torch.float32)
            allowed = causal[:, None] * mask[:, None, None, :]
            bias = (1.0 - allowed) * -1e4  # additive mask, built arithmetically
            h = self.decoder(
                input_ids=input_ids, attention_mask=bias, position_ids=pos, use_cache=False
            ).last_hidden_state
            last = mask.sum(dim=1, keepdim=True) - 1.0
            pick = (pos.to(torch.float32) == last).to(torch.float32)  # one-hot, last real token
            hidden = (pick[..., None] * h).sum(dim=1)
            scores = hidden @ self.rows.T
            yes = torch.logsumexp(scores[:, : self.n_yes], dim=1)
            no = torch.logsumexp(scores[:, self.n_yes :], dim=1)
            p = torch.sigmoid(yes - no - self.shift)
            return p, torch.stack([no, yes], dim=1)

    return Head


def _Head(*args: Any) -> Any:  # noqa: N802 - a class built lazily (torch is an optional extra)
    return _head_class()(*args)


def prompt_template(clf: Any) -> tuple[str, str]:
    """(text before, text after) the user's text in the exact prompt the classifier scores."""
    from pii.classifiers import prompts

    full = clf.engine.render(
        prompts.messages(clf.config.instruction, [], TEXT_MARK), generation_prompt=True
    )
    before, sep, after = full.partition(TEXT_MARK)
    if not sep:
        raise ModelError("the chat template rewrote the text; cannot state a prompt template")
    return before, after


def encode_prompt(clf: Any, text: str) -> list[int]:
    """Token ids an app feeds the exported model for `text` (as the MLX classifier sees it)."""
    prefix, suffix = clf.prompt_parts(text)
    return list(prefix) + list(suffix)


def metadata(clf: Any, adapter: Path, precision: str, target: str, max_len: int) -> dict[str, str]:
    from pii import __version__
    from pii.classifiers.windows import effective_overlap
    from pii.engine.adapters import read_training

    info = read_training(adapter)
    before, after = prompt_template(clf)
    return {
        "labels": json.dumps(["no_pii", "pii"]),
        "threshold": repr(float(clf.threshold)),
        "base_model": clf.engine.name,
        "base_model_sha256": info.get("base_model_sha256", ""),
        "adapter": adapter.name,
        "adapter_sha256": sha256_file(adapter / "adapters.safetensors"),
        "train_sha256": info.get("train_sha256", ""),
        "valid_sha256": info.get("valid_sha256", ""),
        "prompt_before_text": before,
        "prompt_after_text": after,
        "max_text_tokens": str(clf.config.max_text_tokens),
        # Longer texts: windows of max_text_tokens tokens, consecutive ones sharing
        # window_overlap tokens; P(PII) of the text = window_aggregate of the windows'.
        "window_tokens": str(clf.config.max_text_tokens),
        "window_overlap": str(
            effective_overlap(clf.config.max_text_tokens, clf.config.window_overlap)
        ),
        "window_aggregate": clf.config.aggregate,
        "max_sequence_length": str(max_len),
        "padding": "right (attention_mask 1 for real tokens, then 0)",
        "precision": precision,
        "target": target,
        "exported_by": f"pii {__version__}",
    }


def _fp16_safe(op: Any) -> bool:
    """Whether an op may run in fp16. RMSNorm's mean of squares does not: on real
    activations it passes fp16's 65,504 and turns the whole output into inf/nan."""
    if op.op_type in ("pow", "reduce_mean", "rsqrt"):
        return False
    feeds = [v for v in op.inputs.values() if hasattr(v, "op")]
    return not (
        op.op_type == "add"
        and any(v.op is not None and v.op.op_type == "reduce_mean" for v in feeds)
    )


def convert(
    head: Any,
    *,
    precision: str,
    target: str,
    max_len: int,
    example: tuple[Any, Any],
) -> Any:
    """Trace the head and convert it to an ML Program at `precision` (weights compressed)."""
    import coremltools as ct
    import torch

    with torch.no_grad():
        traced = torch.jit.trace(head, example, check_trace=False)
    seq = ct.RangeDim(lower_bound=1, upper_bound=max_len, default=example[0].shape[1])
    batch = ct.RangeDim(lower_bound=1, upper_bound=64, default=1)
    mlmodel = ct.convert(
        traced,
        inputs=[
            ct.TensorType("input_ids", shape=(batch, seq), dtype=np.int32),
            ct.TensorType("attention_mask", shape=(batch, seq), dtype=np.int32),
        ],
        outputs=[ct.TensorType("pii_probability"), ct.TensorType("label_logits")],
        convert_to="mlprogram",
        compute_precision=ct.precision.FLOAT32
        if precision == "fp32"
        else ct.transform.FP16ComputePrecision(op_selector=_fp16_safe),
        minimum_deployment_target=getattr(ct.target, target),
    )
    if precision in ("int8", "int4"):
        from coremltools.optimize import coreml as opt

        op = (
            opt.OpLinearQuantizerConfig(
                mode="linear_symmetric", dtype="int8", granularity="per_channel"
            )
            if precision == "int8"
            else opt.OpLinearQuantizerConfig(
                mode="linear_symmetric", dtype="int4", granularity="per_block", block_size=32
            )
        )
        mlmodel = opt.linear_quantize_weights(mlmodel, opt.OptimizationConfig(global_config=op))
    return mlmodel


def export(
    adapter: Path,
    out: Path,
    *,
    model: str | None = None,
    precision: str = "fp16",
    target: str | None = None,
    max_len: int = 512,
    stage: Callable[[str], None] = lambda s: None,
    clf: Any = None,
) -> Export:
    """Export `adapter` (fused into its base model) as `out` (.mlpackage) plus its tokenizer."""
    require_extra()
    import torch

    target, _ = check_target(precision, target)
    if out.suffix != ".mlpackage":
        raise ConfigError(f"{out}: the output must end in .mlpackage")
    stage("fusing the adapter into the base model")
    clf = clf or load_fused(adapter, model)
    stage("building the classifier head in torch")
    head = torch_head(clf)
    ids = encode_prompt(clf, "Example text for tracing.")
    example = (
        torch.tensor([ids, ids[:-3] + [0, 0, 0]], dtype=torch.int32),
        torch.tensor([[1] * len(ids), [1] * (len(ids) - 3) + [0, 0, 0]], dtype=torch.int32),
    )
    stage(f"converting to an ML Program ({precision}, {target})")
    mlmodel = convert(head, precision=precision, target=target, max_len=max_len, example=example)
    meta = metadata(clf, adapter, precision, target, max_len)
    mlmodel.short_description = (
        "Does this text contain personal data? P(PII) from a LoRA-adapted "
        f"{clf.engine.name}; flag the text when pii_probability >= threshold ({meta['threshold']})."
    )
    mlmodel.author = meta["exported_by"]
    mlmodel.version = meta["adapter_sha256"][:12]
    mlmodel.user_defined_metadata.update(meta)
    mlmodel.input_description["input_ids"] = (
        "Token ids of prompt_before_text + text + prompt_after_text (see metadata), "
        "right-padded with 0"
    )
    mlmodel.input_description["attention_mask"] = "1 for real tokens, 0 for padding"
    mlmodel.output_description["pii_probability"] = "P(text contains PII), one per row"
    mlmodel.output_description["label_logits"] = "[no, yes] label log-scores, one pair per row"
    stage("saving")
    tok_dir = out.with_name(out.stem + ".tokenizer")
    replace_dir(out, lambda d: mlmodel.save(str(d)))
    replace_dir(tok_dir, lambda d: _write_tokenizer(clf, meta, d))
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6
    return Export(out, tok_dir, precision, target, size, meta)


def _write_tokenizer(clf: Any, meta: dict[str, str], directory: Path) -> None:
    directory.mkdir(parents=True)
    src = Path(clf.engine.model_dir)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (src / name).exists():
            shutil.copy2(src / name, directory / name)
    (directory / "prompt.json").write_text(json.dumps(meta, indent=2) + "\n")
