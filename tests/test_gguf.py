import mlx.core as mx
import numpy as np
import pytest

from pii.engine import gguf, models
from pii.errors import ModelError
from pii.hashing import sha256_file
from tests.tiny import make_gguf

TEXT = "My name is Maria Lopez, phone 0123 4567. Answer yes or no."


@pytest.fixture(scope="module")
def tiny_gguf(tiny_model, tmp_path_factory):
    return make_gguf(tiny_model, tmp_path_factory.mktemp("gguf") / "tiny.gguf")


def test_permutation_round_trips():
    x = mx.arange(8 * 6 * 3).reshape(48, 3)
    assert mx.array_equal(gguf.unpermute_rows(gguf.permute_rows(x, 4), 4), x)
    assert not mx.array_equal(gguf.permute_rows(x, 4), x)


def test_converted_gguf_gives_the_original_logits_and_tokens(tiny_model, tiny_gguf, tmp_path):
    from mlx_lm.utils import load_model, load_tokenizer

    out = gguf.convert(tiny_gguf, tmp_path / "converted")
    original, _ = load_model(tiny_model)
    converted, _ = load_model(out)
    tok_a, tok_b = load_tokenizer(tiny_model), load_tokenizer(out)
    assert tok_a.encode(TEXT) == tok_b.encode(TEXT)
    x = mx.array([tok_a.encode(TEXT)])
    np.testing.assert_allclose(np.array(original(x)), np.array(converted(x)), atol=1e-5)
    msgs = [{"role": "user", "content": "hi"}]
    assert tok_b.apply_chat_template(msgs, tokenize=False) == tok_a.apply_chat_template(
        msgs, tokenize=False
    )


def test_hash_mismatch_is_a_clear_error(tiny_gguf, tmp_path):
    tampered = tmp_path / "tampered.gguf"
    data = bytearray(tiny_gguf.read_bytes())
    data[-10] ^= 0xFF
    tampered.write_bytes(bytes(data))
    good = sha256_file(tiny_gguf)
    with pytest.raises(ModelError, match="sha256 .* does not match.*tampered"):
        models.convert_verified(tampered, good, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert (
        models.convert_verified(tiny_gguf, good, tmp_path / "ok").joinpath("config.json").exists()
    )


def test_truncated_gguf_is_a_clear_error(tiny_gguf, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(tiny_gguf.read_bytes()[:1000])
    with pytest.raises(ModelError, match="cannot read GGUF"):
        gguf.convert(broken, tmp_path / "out")


def test_unknown_model_name_is_a_clear_error():
    with pytest.raises(ModelError, match="unknown model 'no-such-model'"):
        models.resolve("no-such-model")


def test_hub_model_not_cached_names_the_pull_command(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(ModelError, match="pii models pull"):
        models.resolve("llama-3.2-3b")
