"""Tiny random-weight llama models and a tokenizer trained on the spot, for fast tests."""

from __future__ import annotations

import json
from pathlib import Path

import mlx.core as mx
from mlx.utils import tree_flatten

CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "Does this text contain personal data (PII)? Answer yes or no.",
    "yes no Yes No text personal data system user assistant",
    "My name is Maria Lopez and my phone is +1 415 882 9931.",
    "Order 88231 shipped on Tuesday; version 4.2.1 is out.",
    "Contact support@acme.com or call the hotline.",
    "The quick brown fox jumps over the lazy dog 0123456789.",
] * 20

CONFIG = {
    "model_type": "llama",
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "intermediate_size": 128,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "tie_word_embeddings": True,
}


def train_tokenizer(vocab_size: int = 400):
    """A byte-level BPE tokenizer with ChatML specials, wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    # The same pre-tokenisation as pii.engine.gguf rebuilds (digits one by one, then byte level).
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        unk_token="<|endoftext|>",
        pad_token="<|im_end|>",
        chat_template=CHATML,
    )


def make_llama(out: Path, seed: int = 0) -> Path:
    """An mlx-lm model directory with random weights and a trained tokenizer."""
    from mlx_lm.models import llama

    tokenizer = train_tokenizer()
    config = dict(CONFIG, vocab_size=len(tokenizer), eos_token_id=tokenizer.eos_token_id)
    mx.random.seed(seed)
    model = llama.Model(llama.ModelArgs.from_dict(config))
    out.mkdir(parents=True, exist_ok=True)
    weights = dict(tree_flatten(model.parameters()))
    mx.save_safetensors(str(out / "model.safetensors"), weights)
    (out / "config.json").write_text(json.dumps(config))
    tokenizer.save_pretrained(str(out))
    return out


def make_gguf(model_dir: Path, path: Path) -> Path:
    """The model of `make_llama` as a llama.cpp-style GGUF (names, permuted Q/K, vocab)."""
    from pii.engine.gguf import permute_rows

    cfg = json.loads((model_dir / "config.json").read_text())
    tok = json.loads((model_dir / "tokenizer.json").read_text())
    weights = mx.load(str(model_dir / "model.safetensors"))
    names = {
        "self_attn.q_proj": "attn_q",
        "self_attn.k_proj": "attn_k",
        "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output",
        "mlp.gate_proj": "ffn_gate",
        "mlp.up_proj": "ffn_up",
        "mlp.down_proj": "ffn_down",
        "input_layernorm": "attn_norm",
        "post_attention_layernorm": "ffn_norm",
    }
    tensors = {}
    for key, value in weights.items():
        if key == "model.embed_tokens.weight":
            tensors["token_embd.weight"] = value
        elif key == "model.norm.weight":
            tensors["output_norm.weight"] = value
        else:
            _, _, layer, rest = key.split(".", 3)
            module = rest.rsplit(".", 1)[0]
            if module == "self_attn.q_proj":
                value = permute_rows(value, cfg["num_attention_heads"])
            elif module == "self_attn.k_proj":
                value = permute_rows(value, cfg["num_key_value_heads"])
            tensors[f"blk.{layer}.{names[module]}.weight"] = value
    vocab = sorted(tok["model"]["vocab"].items(), key=lambda kv: kv[1])
    added = {a["content"]: a["id"] for a in tok["added_tokens"]}
    tokens = [t for t, _ in vocab]
    merges = [" ".join(m) if isinstance(m, list) else m for m in tok["model"]["merges"]]
    meta = {
        "general.architecture": "llama",
        "llama.attention.head_count": mx.array(cfg["num_attention_heads"], dtype=mx.uint32),
        "llama.attention.head_count_kv": mx.array(cfg["num_key_value_heads"], dtype=mx.uint32),
        "llama.block_count": mx.array(cfg["num_hidden_layers"], dtype=mx.uint32),
        "llama.embedding_length": mx.array(cfg["hidden_size"], dtype=mx.uint32),
        "llama.feed_forward_length": mx.array(cfg["intermediate_size"], dtype=mx.uint32),
        "llama.rope.freq_base": mx.array(cfg["rope_theta"], dtype=mx.float32),
        "llama.attention.layer_norm_rms_epsilon": mx.array(cfg["rms_norm_eps"], dtype=mx.float32),
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.merges": merges,
        "tokenizer.ggml.token_type": mx.array(
            [3 if t in added else 1 for t in tokens], dtype=mx.int32
        ),
        "tokenizer.ggml.bos_token_id": mx.array(added["<|im_start|>"], dtype=mx.uint32),
        "tokenizer.ggml.eos_token_id": mx.array(added["<|im_end|>"], dtype=mx.uint32),
        "tokenizer.chat_template": CHATML,
    }
    mx.save_gguf(str(path), tensors, meta)
    return path
