"""The MLX engine: load a model (and adapter), score label tokens, generate greedily.

This is the only module that runs models (the training loop trains them, the export fuses
them). Prompt text, data, metrics and reports live elsewhere and never import MLX; a test
(tests/test_architecture.py) holds that rule.

Label scoring reads the final hidden state at each text's last prompt token and projects
it onto the label tokens' rows only: no full-vocabulary logits, no logits at every position.
A shared prompt prefix (instruction + exemplars) is run once; its KV cache is copied into
every batch. Suffixes are right-padded: with causal attention, pads after a text's last
token cannot change that token's hidden state, so no mask is needed and rotary positions
stay exactly those of an unpadded run (left padding would shift them past the prefix).
Plain llama blocks run through pii.engine.blocks (the same weights and results, the
exponentials in NumPy on CPU); other architectures through mlx-lm's model and KV cache.

Left out: sampling (only greedy decoding, for the format-failure measurement).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
import numpy as np

from pii.engine import models
from pii.engine.blocks import run_blocks, supported
from pii.errors import ModelError


def default_precision() -> str:
    """float32 on CPU (MLX's quantized CPU kernels are ~40x slower); quantized on Metal."""
    return "quantized" if mx.metal.is_available() else "float32"


def metal_available() -> bool:
    return bool(mx.metal.is_available())


def non_embedding_params(model: nn.Module) -> int:
    """Parameters a token passes through, less the embedding, the LM head and LoRA's. A
    quantized layer counts its weights as stored unpacked (32 // bits to a packed word), not
    its words, scales and biases: the same count as the float model's."""
    from mlx.utils import tree_flatten

    bits = {n: m.bits for n, m in model.named_modules() if isinstance(m, nn.QuantizedLinear)}
    count = 0
    for name, p in tree_flatten(model.parameters()):
        if "embed_tokens" in name or "lm_head" in name or "lora" in name:
            continue
        owner, leaf = name.rsplit(".", 1)
        if owner in bits and leaf in ("scales", "biases"):
            continue
        count += p.size * 32 // bits[owner] if owner in bits and leaf == "weight" else p.size
    return count


def device_name() -> str:
    if mx.metal.is_available():
        info = mx.device_info() if hasattr(mx, "device_info") else {}
        return f"Metal GPU ({info.get('device_name', platform.processor() or 'Apple silicon')})"
    return f"CPU ({platform.machine()})"


@dataclass
class Prefix:
    """A prompt prefix already run through the model: its tokens and per-layer K/V."""

    ids: tuple[int, ...]
    kv: list[tuple[mx.array, mx.array]]
    hidden_sum: np.ndarray | None = None  # final-norm hidden states summed over the prefix


class Engine:
    """A loaded model + tokenizer. Build with `load_engine`."""

    def __init__(self, model: nn.Module, tokenizer, name: str, model_dir: Path | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.model_dir = model_dir
        self._prefixes: dict[tuple[int, ...], Prefix] = {}
        self.tokens_run = 0  # real (non-pad) tokens through the model so far
        inner = getattr(model, "model", None)
        if inner is None or not hasattr(inner, "embed_tokens"):
            raise ModelError(f"model '{name}': unsupported architecture (no decoder stack)")
        self._inner = inner
        # Plain llama blocks run written out (pii.engine.blocks: NumPy exponentials on CPU);
        # PII_FAST_BLOCKS=0 runs mlx-lm's own layers instead (for comparisons).
        self.fast = os.environ.get("PII_FAST_BLOCKS", "1") != "0" and all(
            supported(layer) for layer in inner.layers
        )

    def non_embedding_params(self) -> int:
        """Parameters a token passes through (for the compute floor)."""
        return non_embedding_params(self.model)

    def clear_cache(self) -> None:
        """Forget cached prefixes (needed when the weights change, e.g. during training)."""
        self._prefixes.clear()

    # -- tokens -------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def render(self, messages: list[dict[str, str]], generation_prompt: bool) -> str:
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=generation_prompt
        )

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of each token of `text` (no special tokens)."""
        if hasattr(self.tokenizer, "offsets"):  # pii.engine.light's tokenizer
            return self.tokenizer.offsets(text)
        hf = getattr(self.tokenizer, "_tokenizer", self.tokenizer)
        enc = hf(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [tuple(o) for o in enc["offset_mapping"]]

    def label_rows(self, token_ids: Sequence[int]) -> mx.array:
        """Output-projection rows of the given tokens, dequantized: (n, hidden)."""
        ids = mx.array(list(token_ids))
        head = getattr(self.model, "lm_head", None)
        if head is None or getattr(self.model.args, "tie_word_embeddings", False):
            return self._inner.embed_tokens(ids).astype(mx.float32)
        if isinstance(head, nn.QuantizedLinear):
            return mx.dequantize(
                head.weight[ids], head.scales[ids], head.biases[ids], head.group_size, head.bits
            ).astype(mx.float32)
        return head.weight[ids].astype(mx.float32)

    # -- forward passes -----------------------------------------------------------------
    def _cache(self, prefix: Prefix | None, batch: int) -> list:
        from mlx_lm.models.cache import KVCache, make_prompt_cache

        cache = make_prompt_cache(self.model)
        if prefix is None or not prefix.ids:
            return cache
        for c, (k, v) in zip(cache, prefix.kv, strict=True):
            if not isinstance(c, KVCache):
                raise ModelError(f"model '{self.name}': prefix caching needs a plain KV cache")
            c.state = (mx.repeat(k, batch, axis=0), mx.repeat(v, batch, axis=0), len(prefix.ids))
        return cache

    def prefix(self, ids: Sequence[int]) -> Prefix:
        """Run a shared prompt prefix once; later calls with the same ids reuse it."""
        key = tuple(ids)
        if key not in self._prefixes:
            if len(self._prefixes) > 8:
                self._prefixes.clear()
            cache = self._cache(None, 1)
            hidden_sum = None
            kv: list[tuple[mx.array, mx.array]] = []
            if key and self.fast:
                h, kv = run_blocks(
                    self._inner.layers, self._inner.embed_tokens(mx.array([list(key)]))
                )
                h = self._inner.norm(h)
            elif key:
                h = self._inner(mx.array([list(key)]), cache=cache)
                kv = [(c.keys[..., : len(key), :], c.values[..., : len(key), :]) for c in cache]
            if key:
                hidden_sum = np.array(h[0].astype(mx.float32).sum(axis=0), dtype=np.float64)
                self.tokens_run += len(key)
            mx.eval([a for pair in kv for a in pair])
            self._prefixes[key] = Prefix(key, kv, hidden_sum)
        return self._prefixes[key]

    def _padded(self, suffixes: Sequence[Sequence[int]]) -> tuple[mx.array, list[int]]:
        """Token ids right-padded into one (B, width) batch, and each row's length; counts
        the real tokens as run."""
        lengths = [len(s) for s in suffixes]
        if min(lengths) == 0:
            raise ModelError("empty prompt suffix: every text needs at least one token")
        width = max(lengths)
        pad = self.tokenizer.pad_token_id or 0
        self.tokens_run += sum(lengths)
        return mx.array([list(s) + [pad] * (width - len(s)) for s in suffixes]), lengths

    def _run(self, prefix: Prefix | None, batch: mx.array) -> mx.array:
        """Final-norm hidden states of token batch (B, n), continuing `prefix`."""
        if self.fast:
            past = prefix.kv if prefix is not None and prefix.ids else None
            h, _ = run_blocks(self._inner.layers, self._inner.embed_tokens(batch), past)
            return self._inner.norm(h)
        return self._inner(batch, cache=self._cache(prefix, batch.shape[0]))

    def last_hidden(self, prefix: Prefix | None, suffixes: Sequence[Sequence[int]]) -> mx.array:
        """Final-norm hidden state at each suffix's last token, after `prefix`: (B, hidden)."""
        batch, lengths = self._padded(suffixes)
        h = self._run(prefix, batch)
        last = mx.array([n - 1 for n in lengths])
        return h[mx.arange(len(suffixes)), last].astype(mx.float32)

    def pooled_hidden(
        self, prefix: Prefix | None, suffixes: Sequence[Sequence[int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Final-norm hidden states after `prefix`: at each suffix's last token, and summed
        over each suffix's tokens (the prefix's own sum is `prefix.hidden_sum`)."""
        batch, lengths = self._padded(suffixes)
        width = batch.shape[1]
        h = self._run(prefix, batch).astype(mx.float32)
        keep = (mx.arange(width)[None, :] < mx.array(lengths)[:, None])[..., None]
        summed = (h * keep).sum(axis=1)
        last = h[mx.arange(len(suffixes)), mx.array([n - 1 for n in lengths])]
        mx.eval(last, summed)
        return np.array(last, dtype=np.float64), np.array(summed, dtype=np.float64)

    def label_scores(
        self, prefix: Prefix | None, suffixes: Sequence[Sequence[int]], rows: mx.array
    ) -> np.ndarray:
        """Logits of the label rows at each suffix's last token: (B, n_rows)."""
        scores = self.last_hidden(prefix, suffixes) @ rows.T
        mx.eval(scores)
        return np.array(scores, dtype=np.float64)

    def generate(self, prefix: Prefix | None, suffix: Sequence[int], max_tokens: int = 4) -> str:
        """Greedy continuation of prefix + suffix, decoded (stops at end of turn)."""
        from mlx_lm.generate import generate_step

        cache = self._cache(prefix, 1)
        out: list[int] = []
        eos = set(getattr(self.tokenizer, "eos_token_ids", None) or [self.tokenizer.eos_token_id])
        step = generate_step(
            mx.array(list(suffix)), self.model, max_tokens=max_tokens, prompt_cache=cache
        )
        for token, _ in step:
            if int(token) in eos:
                break
            out.append(int(token))
        return self.tokenizer.decode(out)


def load_engine(
    model: str = models.DEFAULT_MODEL, adapter: str | Path | None = None, precision: str = "auto"
) -> Engine:
    """Load a model by spec name, local directory or hub id; optionally apply an adapter."""
    from pii.engine import light

    model_dir = models.resolve(model)
    if precision == "auto":
        precision = default_precision()
    if precision not in ("float32", "quantized"):
        raise ModelError(f"unknown precision '{precision}': use auto, float32 or quantized")
    # A plain llama directory loads without transformers (pii.engine.light: the cold start);
    # PII_LIGHT_LOAD=0 or anything else goes through mlx-lm's loader.
    use_light = os.environ.get("PII_LIGHT_LOAD", "1") != "0" and light.can_load(model_dir)
    if use_light and adapter is not None:
        use_light = light.can_attach(Path(adapter))
    try:
        if use_light:
            net = light.load_model(model_dir, dequantized=precision == "float32")
            tokenizer = light.Tokenizer(model_dir)
        else:
            from mlx_lm.utils import load_model, load_tokenizer

            net, _config = load_model(model_dir)
            tokenizer = load_tokenizer(model_dir)
    except (FileNotFoundError, ValueError, KeyError) as e:
        raise ModelError(f"model '{model}' at {model_dir}: cannot load ({e})") from None
    if precision == "float32":
        if not use_light:  # the light loader has dequantized already
            from mlx_lm.utils import dequantize_model

            net = dequantize_model(net)
        net.set_dtype(mx.float32)
    if adapter is not None:
        from pii.engine.adapters import apply_adapter

        net = apply_adapter(net, Path(adapter), model, model_dir, light=use_light)
    net.eval()
    return Engine(net, tokenizer, model, model_dir)
