"""The report's confusion matrices, grouped errors and versions table (issue 16 item 6),
on the committed study's report."""

import json
import re
from pathlib import Path

from pii.render.errors import confusion_section, errors_section, positives, versions_section
from pii.render.report import markdown

REPORT = json.loads(
    (Path(__file__).resolve().parents[1] / "bench/results/smollm2-135m/report.json").read_text()
)


def test_confusion_matrices_add_up():
    pos = positives(REPORT)
    assert pos == 565  # derived from the scores: the committed report predates the field
    rows = [
        line for line in confusion_section(REPORT) if line.startswith("| ") and "TP" not in line
    ]
    assert len(rows) == len(REPORT["classifiers"])
    for line, c in zip(rows, REPORT["classifiers"], strict=True):
        name, tp, fn, fp, tn = (cell.strip() for cell in line.strip("|").split("|"))
        assert name == c["name"] and int(tp) + int(fn) == pos
        assert int(tp) + int(fn) + int(fp) + int(tn) == REPORT["n"]
        assert int(fn) + int(fp) == len(c["errors"])
    assert positives({**REPORT, "positives": 7}) == 7


def test_errors_are_grouped_with_ids_behind_a_fold():
    lines = errors_section(REPORT)
    text = "\n".join(lines)
    assert "| presidio | none |" in text  # it misses nothing (it flags everything)
    assert text.count("<details>") == len(REPORT["classifiers"])
    table_part = text.split("<details>")[0]
    assert not re.search(r"test-\d{6}", table_part)  # no ids outside the folds


def test_versions_are_a_table_and_the_page_has_every_section():
    text = "\n".join(versions_section(REPORT))
    assert "| mlx | 0.32.4 |" in text and "| apple-fm-sdk | not installed |" in text
    md = markdown(REPORT)
    order = [md.index(h) for h in ("## Headline", "## Confusion matrices", "## Slices",
                                   "## Errors, grouped", "## Versions")]  # fmt: skip
    assert order == sorted(order) and "{'mlx'" not in md
