"""Fault injection (issue 15): every file-writing path of the bench report, the CoreML export's
package swap, golden import and the training checkpoint is killed at each of its file
operations in turn (a child process that exits without cleanup, as a SIGKILL would), and
hits a full disk (ENOSPC) at each of its writes. After every fault the previous output is
whole, or the new one is: never a mix, never nothing. The counts are printed (-s) for the
closing note."""

from __future__ import annotations

import errno
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tests import fault_scenarios as sc
from tests.faults import KILLED, count_ops, disk_full_at, kill_child

RUNS: dict[str, list[int]] = {}  # scenario -> [file operations, kill points tried]


def _siblings(path):
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


# --- each scenario: set up the previous output, read back which one is there ---------------


def _setup_report(tmp):
    out = tmp / "report"
    sc.publish_report(str(out), sc.OLD_REPORT)
    (out / "decision-1").mkdir()  # another tool's folder inside: must survive
    (out / "decision-1" / "decision.json").write_text("{}")
    return {"out": str(out)}


def _state_report(args):
    from pathlib import Path

    from pii.publish import check, recover
    from pii.render.report import REPORT_FILES

    out = Path(args["out"])
    recover(out, REPORT_FILES)
    assert check(out) == [] and (out / "decision-1" / "decision.json").is_file()
    run = json.loads((out / "report.json").read_text())["run"]
    assert (out / "report.md").read_text() == run and (
        out / "curves.png"
    ).read_bytes() == run.encode()
    assert _siblings(out) == []  # recover() removed what the killed swap left beside it
    return run


def _setup_export(tmp):
    out = tmp / "pii.mlpackage"
    sc.export_package(str(out), "old")
    return {"out": str(out)}


def _state_export(args):
    from pathlib import Path

    from pii.publish import recover

    out = Path(args["out"])
    recover(out)
    run = (out / "Manifest.json").read_text()
    assert (out / "Data" / "model.mil").read_text() == run
    assert (out / "Data" / "weights.bin").read_bytes() == run.encode() * 100
    assert _siblings(out) == []
    return run


def _setup_import(tmp):
    tmp.mkdir(parents=True, exist_ok=True)
    source, out = tmp / "spans.jsonl", tmp / "golden.jsonl"
    rows = [
        {"id": f"doc-{i}", "text": f"Call me on 0176 4829 {i:04d}.", "spans": []} for i in range(3)
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    sc.golden_import(str(source), str(out))
    rows.append({"id": "doc-new", "text": "Nothing here.", "spans": []})
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {"source": str(source), "out": str(out)}


def _state_import(args):
    from pathlib import Path

    from pii.golden.schema import read_records

    out = Path(args["out"])
    ids = [r["id"] for r in read_records(out)]
    assert ids in (["doc-0", "doc-1", "doc-2"], ["doc-0", "doc-1", "doc-2", "doc-new"])
    # a kill inside the atomic write may leave its hidden temporary file, never a half file
    assert all(n.startswith(".golden.jsonl.") and n.endswith(".tmp") for n in _siblings(out)
               if n != "spans.jsonl")  # fmt: skip
    return "new" if len(ids) == 4 else "old"


def _setup_checkpoint(tmp):
    out = tmp / "adapter"
    out.mkdir(parents=True)
    sc.checkpoint_save(str(out), 1)
    return {"out": str(out), "step": 2}


def _state_checkpoint(args):
    from pathlib import Path

    import mlx.core as mx

    from pii.training import checkpoint

    out = Path(args["out"])
    checkpoint.recover(out)
    assert checkpoint.resumable(out)
    step = checkpoint.read_state(out)["state"]["step"]
    weights = mx.load(str(out / "checkpoint" / "adapters.safetensors"))
    assert all(np.all(np.array(w) == step) for w in weights.values())  # one save, not a mix
    return {1: "old", 2: "new"}[step]


SCENARIOS = {
    "publish_report": (_setup_report, _state_report),
    "export_package": (_setup_export, _state_export),
    "golden_import": (_setup_import, _state_import),
    "checkpoint_save": (_setup_checkpoint, _state_checkpoint),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_killed_at_every_file_operation_leaves_the_old_or_the_new_output(tmp_path, name):
    setup, state = SCENARIOS[name]
    run = sc.SCENARIOS[name]
    args = setup(tmp_path / "count")
    ops = count_ops(lambda: run(**args))
    assert state(args) == "new" and len(ops) >= 3
    outcomes = []
    for k in range(1, len(ops) + 1):
        args = setup(tmp_path / f"kill-{k}")
        assert kill_child(name, k, args) == KILLED, (
            f"{name}: no kill at operation {k} ({ops[k - 1]})"
        )
        outcomes.append(state(args))
        run(**args)  # the user runs the command again: it completes
        assert state(args) == "new"
    assert outcomes[0] == "old" and "old" in outcomes
    assert kill_child(name, len(ops) + 1, setup(tmp_path / "whole")) == 0
    RUNS[name] = [len(ops), len(outcomes)]
    print(f"\n{name}: {len(ops)} file operations, killed at each: {outcomes}")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_full_disk_at_every_write_keeps_the_previous_output(tmp_path, name):
    from pii.errors import PiiError

    setup, state = SCENARIOS[name]
    run = sc.SCENARIOS[name]
    args = setup(tmp_path / "count")
    writes = [
        op for op in count_ops(lambda: run(**args)) if op in ("open", "fdopen", "save_safetensors")
    ]
    assert writes
    for k in range(1, len(writes) + 1):
        args = setup(tmp_path / f"full-{k}")
        with pytest.raises((OSError, PiiError)) as e, disk_full_at(k):
            run(**args)
        assert "No space left" in str(e.value) or getattr(e.value, "errno", 0) == errno.ENOSPC
        assert state(args) == "old"
        run(**args)
        assert state(args) == "new"
    print(f"\n{name}: disk full at each of {len(writes)} writes: previous output kept")


def test_golden_import_on_a_full_disk_is_one_line_and_keeps_the_old_file(tmp_path):
    from pii.cli.main import app

    args = _setup_import(tmp_path)
    before = (tmp_path / "golden.jsonl").read_bytes()
    cmd = ["golden", "import", "--format", "jsonl-spans", args["source"], "--map", "TEL=PHONE",
           "--out", args["out"]]  # fmt: skip
    with disk_full_at(1):
        result = CliRunner().invoke(app, cmd)
    assert result.exit_code == 1, result.output
    assert result.output.strip().count("\n") == 0 and "No space left on device" in result.output
    assert "Traceback" not in result.output and "0176" not in result.output
    assert (tmp_path / "golden.jsonl").read_bytes() == before
