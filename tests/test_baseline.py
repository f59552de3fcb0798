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
    with pytest.raises(ConfigError, match="not a JSON baseline config"):
        FewShotConfig.load(path)


def test_windows_choice_is_made_on_valid_and_recorded_in_the_artifact(
    tiny_model, tiny_adapter, tmp_path
):
    import shutil

    from typer.testing import CliRunner

    from pii.classifiers.adapter import load_adapter_classifier
    from pii.cli import app
    from pii.engine.adapters import read_training

    adapter = tmp_path / "adapter"
    shutil.copytree(tiny_adapter[0], adapter)
    long = "Order 88231 shipped on Tuesday. " * 12
    valid = tmp_path / "valid.jsonl"
    rows = [(long + "Call Maria Lopez at 0176 5001.", True), (long, False)] * 4
    valid.write_text(
        "".join(
            json.dumps({"id": f"v{i}", "text": t, "has_pii": h,
                        "pii_types": ["PHONE"] if h else [],
                        "tags": {"format": "chat", "language": "en", "difficulty": "easy",
                                 "obfuscated": False, "novel": False, "hard_negative": False,
                                 "negative_kind": None}, "template_id": "hand"}) + "\n"
            for i, (t, h) in enumerate(rows)
        )
    )  # fmt: skip
    args = ["baseline", "windows", "--model", str(tiny_model), "--adapter", str(adapter)]
    result = CliRunner().invoke(app, [*args, "--valid", str(valid)])
    assert result.exit_code == 0, result.output
    info = read_training(adapter)
    record = info["windows_chosen_on"]
    assert info["aggregate"] == record["aggregate"] in ("max", "noisy_or")
    assert info["threshold"] == record["threshold"] and record["valid_n"] == 8
    assert record["texts_with_several_windows"] == 8 and set(record["by_aggregate"]) == {
        "max",
        "noisy_or",
    }
    clf = load_adapter_classifier(adapter, str(tiny_model))
    assert clf.config.aggregate == info["aggregate"] and clf.threshold == info["threshold"]
    refused = CliRunner().invoke(app, [*args, "--valid", "golden/test.jsonl"])
    assert refused.exit_code == 1 and "test" in refused.output
