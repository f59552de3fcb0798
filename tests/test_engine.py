import numpy as np
import pytest

from pii.classifiers import prompts
from pii.classifiers.fewshot import Exemplar, FewShotClassifier, FewShotConfig, balanced_exemplars
from pii.classifiers.protocol import Classifier

POOL = [Exemplar(f"p{i}", f"Call Maria Lopez at 0176 {i}", True) for i in range(6)] + [
    Exemplar(f"n{i}", f"Order {i} shipped on Tuesday", False) for i in range(6)
]
TEXTS = [
    "My name is Maria Lopez.",
    "Version 4.2.1 is out",
    "yes",
    "Contact support@acme.com now please",
]


def test_prefix_cache_gives_the_same_scores_as_full_prompts(tiny_engine):
    cfg = FewShotConfig(model="tiny", k=4)
    cached = FewShotClassifier(tiny_engine, cfg, POOL, batch_size=3).logits(TEXTS)
    full = FewShotClassifier(tiny_engine, cfg, POOL, prefix_cache=False).logits(TEXTS)
    np.testing.assert_allclose(cached, full, atol=1e-4)


def test_batching_does_not_change_scores(tiny_engine):
    cfg = FewShotConfig(model="tiny", k=2)
    one = FewShotClassifier(tiny_engine, cfg, POOL, batch_size=1).logits(TEXTS)
    many = FewShotClassifier(tiny_engine, cfg, POOL, batch_size=4).logits(TEXTS)
    np.testing.assert_allclose(one, many, atol=1e-4)


def test_scores_are_label_token_logits(tiny_engine):
    """Known answer: the log-odds equal logsumexp over the full-vocabulary logits' label rows."""
    import mlx.core as mx

    clf = FewShotClassifier(tiny_engine, FewShotConfig(model="tiny", k=0), POOL, prefix_cache=False)
    text = TEXTS[0]
    _, ids = clf.prompt_parts(text)
    logits = np.array(tiny_engine.model(mx.array([ids]))[0, -1], dtype=np.float64)
    yes = np.logaddexp.reduce(logits[clf._yes])
    no = np.logaddexp.reduce(logits[clf._no])
    assert clf.logits([text])[0] == pytest.approx(yes - no, abs=1e-4)


def test_predict_proba_follows_the_protocol(tiny_engine):
    clf = FewShotClassifier(tiny_engine, FewShotConfig(model="tiny", k=2), POOL)
    assert isinstance(clf, Classifier)
    p = clf.predict_proba(TEXTS)
    assert p.shape == (len(TEXTS), 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert ((p >= 0) & (p <= 1)).all()


def test_calibration_shifts_log_odds_by_the_content_free_bias(tiny_engine):
    cfg = FewShotConfig(model="tiny", k=2)
    clf = FewShotClassifier(tiny_engine, cfg, POOL)
    shift = clf.calibration_logit()
    cfg.calibrate, cfg.calibration_logit = True, shift
    logits = clf.logits(TEXTS)
    p = clf.proba_from_logits(logits)[:, 1]
    np.testing.assert_allclose(np.log(p / (1 - p)), logits - shift, atol=1e-6)


def test_a_long_text_is_read_whole_as_windows(tiny_engine):
    clf = FewShotClassifier(tiny_engine, FewShotConfig(model="tiny", k=0, max_text_tokens=32), POOL)
    long_text = "word " * 2_000
    logits = clf.logits([long_text, "short"])
    assert clf.windows[1] == 1 and clf.windows[0] > 10
    assert len(clf.prompt_tokens) == 2  # per text, all its windows together
    long_tokens, short_tokens = clf.prompt_tokens
    assert long_tokens > clf.windows[0] * short_tokens
    # The tail is read: change only the last characters and the last window's score moves
    # (the document's max may stay with another window of a random-weight model).
    last_window = clf.window_logits[clf.windows[0] - 1]
    clf.logits([long_text[:-40] + "Maria Lopez 0176 882 9931 " * 2])
    assert clf.window_logits[-1] != last_window
    # Each window scores as the same text given alone; the document takes their max.
    spans = clf.text_windows(long_text)
    alone = clf.logits([long_text[a:b] for a, b in spans])
    np.testing.assert_allclose(logits[0], alone.max(), atol=1e-4)


def test_nearest_exemplars_are_balanced_and_similar(tiny_engine):
    clf = FewShotClassifier(
        tiny_engine, FewShotConfig(model="tiny", k=4, selection="nearest"), POOL
    )
    chosen = clf._exemplars("Call Maria Lopez at 0176 3")
    assert sum(h for _, h in chosen) == 2
    assert chosen[-1][0] == "Call Maria Lopez at 0176 3"


def test_balanced_exemplars_are_seeded():
    a = balanced_exemplars(POOL, 4, seed=1, max_chars=100)
    assert a == balanced_exemplars(POOL, 4, seed=1, max_chars=100)
    assert sum(e.has_pii for e in a) == 2


def test_generation_mode_parses_answers(tiny_engine):
    clf = FewShotClassifier(tiny_engine, FewShotConfig(model="tiny", k=2), POOL)
    answers = clf.generate(TEXTS[:2], max_tokens=2)
    assert len(answers) == 2 and all(a in (True, False, None) for a in answers)


@pytest.mark.parametrize(
    ("answer", "label"),
    [
        ("yes", True),
        (" No.", False),
        ("Yes, it does", True),
        ("maybe", None),
        ("", None),
        ("**no**", False),
    ],
)
def test_parse_answer(answer, label):
    assert prompts.parse_answer(answer) is label


def test_progress_moves_evenly_and_ends_at_the_number_of_texts(tiny_engine):
    """Each window reports its share of its text and the buckets run in a seeded random
    order, so a long text's windows do not all come at the end (a log's ETA held 12x low)."""
    cfg = FewShotConfig(model="tiny", k=0, max_text_tokens=32)
    texts = [f"Order {i} shipped on Tuesday" for i in range(30)] + ["word " * 400]
    clf = FewShotClassifier(tiny_engine, cfg, POOL, batch_size=4)
    steps: list[float] = []
    got = clf.logits(texts, progress=steps.append)
    assert sum(steps) == pytest.approx(len(texts), abs=1e-9) and min(steps) > 0
    long_windows = clf.windows[-1]
    assert long_windows > 8
    # the long text's windows are not all at the end: its shares come before the last quarter
    # of the calls (shortest first, it counted once, at the very end)
    shares = [s - int(s) for s in steps]
    assert any(0 < x < 1 for x in shares[: len(steps) * 3 // 4])
    alone = FewShotClassifier(tiny_engine, cfg, POOL, batch_size=1).logits(texts)
    np.testing.assert_allclose(got, alone, atol=1e-4)  # the order changes no score
    window_steps: list[float] = []
    clf.logits(texts, progress=window_steps.append, per_window=True)
    assert sum(window_steps) == sum(clf.windows)
