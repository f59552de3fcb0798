"""The embedded SmolLM2-135M, loaded for real (slow: converts and runs a 135M model)."""

import math

import mlx.core as mx
import mlx.nn as nn
import numpy as np
import pytest

pytestmark = pytest.mark.slow

# Plain English prose written for this test (not from any corpus). Measured: perplexity 4.8
# when loaded right; a wrong Q/K permutation gives hundreds.
PROSE = (
    "Water is one of the most important substances on Earth. It covers about seventy percent of "
    "the surface of the planet, and all living things need it to survive. Water can exist in three "
    "forms: solid, liquid and gas. When water is heated, it turns into water vapor, and when it is "
    "cooled, it turns into ice. The water cycle describes how water moves between the oceans, the "
    "air and the land. The sun heats the water in the oceans, lakes and rivers, and some of it "
    "evaporates into the air. As the water vapor rises, it cools and forms clouds. When the clouds "
    "become heavy, the water falls back to the ground as rain or snow. This water flows into rivers "
    "and lakes, and eventually returns to the ocean, where the cycle begins again."
)


@pytest.fixture(scope="module")
def engine():
    from pii.engine.mlx_engine import load_engine

    return load_engine("smollm2-135m")


def test_perplexity_on_plain_prose_is_low(engine):
    ids = engine.encode(PROSE)
    x = mx.array([ids])
    loss = nn.losses.cross_entropy(engine.model(x[:, :-1]), x[:, 1:]).mean()
    ppl = math.exp(loss.item())
    assert ppl < 20, f"perplexity {ppl:.1f}: the model is not loaded right"


def test_greedy_answer_to_a_factual_question(engine):
    prompt = engine.render([{"role": "user", "content": "What is the capital of France?"}], True)
    answer = engine.generate(None, engine.encode(prompt), max_tokens=12)
    assert "Paris" in answer


def test_prefix_cache_matches_full_prompt_on_the_real_model(engine):
    from pii.classifiers.fewshot import Exemplar, FewShotClassifier, FewShotConfig

    pool = [
        Exemplar("p", "Call Maria Lopez on 0176 4482 9133.", True),
        Exemplar("n", "Order 88231 shipped on Tuesday.", False),
    ]
    texts = ["My SSN is 523-41-8876.", "The build finished in 42 seconds."]
    cfg = FewShotConfig(k=2)
    cached = FewShotClassifier(engine, cfg, pool).logits(texts)
    full = FewShotClassifier(engine, cfg, pool, prefix_cache=False).logits(texts)
    np.testing.assert_allclose(cached, full, atol=1e-3)


def test_light_loader_matches_mlx_lm_on_the_real_model_and_adapter(engine, monkeypatch):
    """pii.engine.light (no transformers) and mlx-lm's loader: the same prompts, token ids
    and adapter probabilities on the embedded model and the shipped adapter."""
    from pii.classifiers.adapter import load_adapter_classifier
    from pii.engine import light
    from pii.paths import project_path

    texts = [PROSE, "Call Maria Lopez on +44 7700 900123.", "Version 4.2.1 ships on Tuesday."]
    adapter = project_path("adapters/smollm2-135m")
    ours = load_adapter_classifier(adapter)
    monkeypatch.setenv("PII_LIGHT_LOAD", "0")
    theirs = load_adapter_classifier(adapter)
    assert isinstance(ours.engine.tokenizer, light.Tokenizer)
    assert not isinstance(theirs.engine.tokenizer, light.Tokenizer)
    assert [ours.prompt_parts(t) for t in texts] == [theirs.prompt_parts(t) for t in texts]
    np.testing.assert_allclose(ours.predict_proba(texts), theirs.predict_proba(texts), atol=1e-4)
