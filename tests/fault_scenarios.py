"""What tests/test_faults.py kills at every file operation: each scenario replaces a previous
output (written by the test first) with a new one. Run in a child process by tests/faults.py;
arguments are JSON (paths as strings)."""

from __future__ import annotations

from pathlib import Path

NEW_REPORT = {"report.json": '{"run": "new"}', "report.md": "new", "curves.png": b"new"}
OLD_REPORT = {"report.json": '{"run": "old"}', "report.md": "old", "curves.png": b"old"}


def publish_report(out: str, files: dict | None = None) -> None:
    """The bench's last step: the report set replaced as a unit (pii.publish)."""
    from pii.publish import publish
    from pii.render.report import REPORT_FILES

    publish(Path(out), files or NEW_REPORT, legacy=REPORT_FILES)


def export_package(out: str, run: str = "new") -> None:
    """The CoreML export's swap (pii.publish.replace_dir), with a package of three files."""
    from pii.publish import replace_dir

    def build(d: Path) -> None:
        (d / "Data").mkdir(parents=True)
        (d / "Manifest.json").write_text(run)
        (d / "Data" / "model.mil").write_text(run)
        (d / "Data" / "weights.bin").write_bytes(run.encode() * 100)

    replace_dir(Path(out), build)


def golden_import(source: str, out: str) -> None:
    """`pii golden import` over a file it wrote before."""
    from pii.golden.importers import import_corpus

    import_corpus("jsonl-spans", source, "TEL=PHONE", out)


def checkpoint_save(out: str, step: int) -> None:
    """A training checkpoint whose weights and state both say `step`."""
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim

    from pii.training import checkpoint
    from pii.training.recipe import TrainConfig

    model = nn.Linear(4, 2)
    model.update({"weight": mx.full((2, 4), float(step)), "bias": mx.full((2,), float(step))})
    optimizer = optim.Adam(learning_rate=0.1)
    optimizer.init(model.trainable_parameters())
    state = checkpoint.RunState(step=step)
    checkpoint.save(Path(out), model, optimizer, state, TrainConfig(model="tiny"), {})


# modules each scenario imports, loaded before any fault is injected (imports open files)
PRELOAD = {
    "publish_report": ("pii.publish", "pii.render.report"),
    "export_package": ("pii.publish",),
    "golden_import": ("pii.golden.importers",),
    "checkpoint_save": ("mlx.core", "mlx.nn", "mlx.optimizers", "pii.training.checkpoint"),
}

SCENARIOS = {
    "publish_report": publish_report,
    "export_package": export_package,
    "golden_import": golden_import,
    "checkpoint_save": checkpoint_save,
}
