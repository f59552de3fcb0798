import json

import pytest

from pii.classifiers import fewshot
from pii.classifiers.fewshot import FewShotConfig
from pii.errors import ConfigError
from pii.training import tune as baseline
from tests.golden_fixtures import write_split


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    return write_split(d / "train.jsonl", "train", 24), write_split(
        d / "valid.jsonl", "valid", 12, start=300
    )


def test_tune_searches_the_grid_and_saves_a_loadable_config(
    tiny_model, tiny_engine, files, tmp_path
):
    out = tmp_path / "baseline.json"
    cfg = baseline.tune_files(
        str(tiny_model),
        files[0],
        files[1],
        out,
        ks=[0, 2],
        nearest_limit=6,
        gen_limit=3,
        log=lambda s: None,
    )
    search = cfg.tuned_on["search"]
    tried = {(r["instruction"], r["k"]) for r in search}
    assert {(i, 2) for i in ("short", "taxonomy", "rules")} <= tried  # stage 1: every instruction
    best_instruction = max((r for r in search if r["k"] == 2), key=lambda r: r["f1"])["instruction"]
    assert (best_instruction, 0) in tried  # stage 2: every k with the best instruction
    assert any(r["selection"] == "nearest" for r in search) or cfg.k == 0
    assert 0.0 <= cfg.threshold <= 1.0
    assert cfg.tuned_on["valid_sha256"] and cfg.tuned_on["generation"]["n"] == 3
    saved = json.loads(out.read_text())
    assert saved["k"] == cfg.k and saved["exemplar_ids"] == cfg.exemplar_ids
    clf = fewshot.load_fewshot(str(tiny_model), out, train=files[0], engine=tiny_engine)
    assert clf.predict_proba(["a text"]).shape == (1, 2)


def test_tune_never_reads_the_test_split(tiny_model, files, tmp_path, monkeypatch):
    from pathlib import Path

    from pii.golden import schema

    seen = []
    original = schema.read_records
    monkeypatch.setattr(schema, "read_records", lambda p: seen.append(str(p)) or original(p))
    baseline.tune_files(
        str(tiny_model),
        files[0],
        files[1],
        tmp_path / "b.json",
        ks=[0],
        nearest_limit=0,
        gen_limit=0,
        log=lambda s: None,
    )
    assert sorted(Path(p).name for p in seen) == ["train.jsonl", "valid.jsonl"]


def test_odd_k_is_rejected(tiny_engine):
    with pytest.raises(ConfigError, match="even"):
        baseline.tune(tiny_engine, [], [], model="tiny", ks=[3], log=lambda s: None)


def test_config_round_trip_and_bad_versions(tmp_path):
    path = tmp_path / "c.json"
    FewShotConfig(k=2, threshold=0.3).save(path)
    assert FewShotConfig.load(path).threshold == 0.3
    data = json.loads(path.read_text())
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="format_version 99"):
        FewShotConfig.load(path)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        FewShotConfig.load(path)
