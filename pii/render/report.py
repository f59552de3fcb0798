"""Presenting a bench report: Markdown, a self-contained HTML page with plots, PNG files.

Input is the report dictionary (report.json); nothing here runs a model or computes a
statistic. Record text never appears. A number a classifier lacks is shown as "n/a".

Left out: the numbers themselves (pii.study.bench, pii.metrics.stats) and the PNG plots (pii.render.plots).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pii.render.errors import confusion_section, errors_section, versions_section
from pii.render.headline import HEADLINE_HEADER, headline_rows
from pii.render.ood import cut_note, ood_section, transfer_lines
from pii.render.tables import NA, fmt, mb, ms, num, per_1k_chars, table
from pii.render.tables import html_page as html_page_of

NA_NOTE = (
    " n/a: not an LLM on the MLX engine (no tokens, no floor, no batch sweep), or not "
    "measurable here (cold start of a classifier this machine cannot run; size of a model "
    "that ships with the OS). Classifiers without a batch size score all texts in one call."
)


def _batch(c: dict[str, Any]) -> str:
    if "throughput_batch" not in c:  # reports from before the cheap baselines
        return "batch 16"
    b = c["throughput_batch"]
    return "one call" if b is None else f"batch {b}"


def caveats(report: dict[str, Any]) -> list[str]:
    """Warnings a reader needs before trusting the verdict, read off the report's numbers."""
    notes = []
    n = report["n"]
    for c in report["classifiers"]:
        p = list(c["p_pii"].values())
        flagged = sum(v >= c["threshold"] for v in p) / max(1, len(p))
        auc, auc_ci = c["scores"].get("auroc"), c["ci95"].get("auroc")
        if auc_ci and auc_ci[0] <= 0.5:
            notes.append(
                f"**{c['name']} is no better than chance at ranking** (AUROC {auc:.3f}, 95% CI "
                f"{auc_ci[0]:.3f}-{auc_ci[1]:.3f}): its scores carry no signal about PII."
            )
        if flagged >= 0.95 and c["scores"]["recall"]:
            # positives = true positives / recall; true positives = precision x flagged items
            prevalence = c["scores"]["precision"] * flagged * n / c["scores"]["recall"] / n
            trivial = 2 * prevalence / (1 + prevalence)
            notes.append(
                f"**{c['name']} flags {flagged:.1%} of all items** at its validation threshold "
                f"({c['threshold']:.3f}); flagging everything would score F1 {trivial:.3f} on this "
                f"set ({prevalence:.0%} positive), so its F1 says little beyond the positive rate."
            )
    llms = [c for c in report["classifiers"] if c.get("kind") in ("fewshot", "adapter")]
    for c in report["classifiers"]:
        ci = c["ci95"].get("f1")
        if c in llms or not ci or not llms or any(ci[0] <= x["ci95"]["f1"][1] for x in llms):
            continue
        p50 = (c.get("latency") or {}).get("p50_s")
        how = {
            "apple-fm": "with Apple's own model, untrained",
            "probe": "the base model untrained, a linear head on its hidden state",
        }.get(c.get("kind", ""), "no LLM")
        notes.append(
            f"**{c['name']} beats {' and '.join(x['name'] for x in llms)} on F1** "
            f"({c['scores']['f1']:.3f}, 95% CI {ci[0]:.3f}-{ci[1]:.3f}, wholly above theirs)"
            + (f" at p50 {p50 * 1000:.3g} ms a text" if p50 is not None else "")
            + f", {how}: before training anything, ask whether it already does the job."
        )
    pair = report.get("paired")
    if notes and pair:
        m = pair["mcnemar"]
        notes.append(
            f"The verdict follows the F1 rule as specified. On the same items the adapter is right "
            f"where the baseline is wrong {m['only_other_right']} times and the reverse "
            f"{m['only_base_right']} times (McNemar p = {m['p_value']:.2g}); read the verdict with "
            "accuracy, AUROC and the hard-negative false-positive rate beside it."
        )
    return notes


def _cache_and_batch(classifiers: list[dict[str, Any]]) -> list[str]:
    """The prefix cache on vs off, and throughput per batch size (absent in older reports)."""
    lines: list[str] = []
    rows = []
    for c in classifiers:
        lat, off = c.get("latency", {}), c.get("latency", {}).get("prefix_cache_off")
        if not off:
            continue
        for label, d in (("on", lat), ("off", off)):
            rows.append(
                [
                    c["name"],
                    label,
                    f"{d['p50_s'] * 1000:.0f}",
                    f"{d['p95_s'] * 1000:.0f}",
                    f"{d['tokens_processed_per_text']:.0f}",
                    f"{d.get('floor_s', 0) * 1000:.0f}",
                ]
            )
        rows[-2].append(f"{off['p50_s'] / lat['p50_s']:.1f}x" if lat["p50_s"] else "")
        rows[-1].append("")
    if rows:
        lines += [
            "### Prefix cache on and off (batch 1, warm)",
            "",
            *table(
                [
                    "classifier",
                    "prefix cache",
                    "p50 ms",
                    "p95 ms",
                    "tokens run/text",
                    "floor ms",
                    "speed-up",
                ],
                rows,
            ),
            "",
        ]
    sweeps = [(c["name"], c["batch_sweep"]) for c in classifiers if c.get("batch_sweep")]
    if sweeps:
        sizes = list(sweeps[0][1]["texts_per_s"])
        lines += [
            f"### Throughput by batch size (texts/s over the same {sweeps[0][1]['n']} texts)",
            "",
            *table(
                ["classifier", *(f"batch {b}" for b in sizes), "best"],
                [
                    [name, *(f"{s['texts_per_s'][b]:.2f}" for b in sizes), str(s["best_batch"])]
                    for name, s in sweeps
                ],
            ),
            "",
            "The full run above used each classifier's best batch size.",
            "",
        ]
    return lines


def _title(report: dict[str, Any]) -> list[str]:
    """Title line and the run's one-line context."""
    env = report["environment"]
    who = env["model"] or ", ".join(c["name"] for c in report["classifiers"])
    gemm = f"{env['gemm_gflops']} GFLOP/s" if env["gemm_gflops"] else NA
    lines = [
        f"# pii bench: {who} on {Path(env['data']).name if env.get('data') else 'records'}",
        "",
        f"{report['n']} items · {env['date']} · {env['processor']} ({env['cores']} cores, "
        f"{env['memory_gb']} GB) · {env['platform']} · GEMM {gemm} · "
        f"network attempts: **{report['network_attempts']}**",
        "",
    ]
    return lines


def _verdict(report: dict[str, Any]) -> list[str]:
    """The verdict, its rule, the caveats and the novel-slice finding."""
    lines: list[str] = []
    if report.get("verdict"):
        v = report["verdict"]
        lines += [
            f"## Verdict: **{v['verdict']}**",
            "",
            v["why"] + ".",
            "",
            f"Rule: fine-tuning is worth it only if the adapter's F1 beats the few-shot "
            f"baseline's by more than {report['rule_relative_gain']:.0%} (relative), i.e. the "
            "whole 95% bootstrap interval of (F1_adapter - F1_baseline) / F1_baseline lies "
            "above that line; below it: not worth it; straddling it: inconclusive.",
            "",
        ]
        notes = caveats(report)
        if notes:
            lines += ["### Caveats", "", *[f"- {note}" for note in notes], ""]
        if report.get("novel"):
            nv = report["novel"]
            lines += [
                f"Unseen patterns (novel slice, n={nv['n']}): {nv['finding']}"
                + (
                    f" (F1 difference {nv['f1_diff']:+.3f}, 95% CI {nv['f1_diff_ci95'][0]:+.3f} "
                    f"to {nv['f1_diff_ci95'][1]:+.3f})."
                    if "f1_diff" in nv
                    else "."
                ),
                "",
            ]
    lines += transfer_lines(report)
    return lines


def _headline(report: dict[str, Any]) -> list[str]:
    """The headline table with intervals."""
    return [
        "## Headline",
        "",
        *table(HEADLINE_HEADER, headline_rows(report)),
        "",
        "Intervals: 95% bootstrap (1,000 resamples). Thresholds come from the validation "
        "split, never from the benched data.",
        "",
        *([cut_note(report), ""] if cut_note(report) else []),
    ]


def _paired(report: dict[str, Any]) -> list[str]:
    """The paired comparison of the two arms on the same items."""
    p = report.get("paired")
    return (
        []
        if not p
        else [
            "## Paired comparison (adapter vs baseline, same items)",
            "",
            f"- McNemar exact test: only the baseline right on {p['mcnemar']['only_base_right']}, "
            f"only the adapter right on {p['mcnemar']['only_other_right']}, p = {p['mcnemar']['p_value']:.2g}",
            f"- F1 difference {p['f1_diff']:+.3f} (95% CI {p['f1_diff_ci95'][0]:+.3f} to {p['f1_diff_ci95'][1]:+.3f})",
            f"- recall difference {p['recall_diff']:+.3f} (95% CI {p['recall_diff_ci95'][0]:+.3f} to {p['recall_diff_ci95'][1]:+.3f})",
            "",
        ]
    )


def _latency(report: dict[str, Any]) -> list[str]:
    """Latency against the compute floor, throughput and size."""
    return [
        "## Latency and cost",
        "",
        *table(
            [
                "classifier",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "floor ms",
                "ms / 1k chars: batch 1 (floor), bulk",
                "cold start s",
                "texts/s (best batch)",
                "tokens/text",
                "on disk MB",
            ],
            [
                [
                    c["name"],
                    *(ms(c["latency"].get(k)) for k in ("p50_s", "p95_s", "p99_s")),
                    ms(c["latency"].get("floor_s")),
                    per_1k_chars(c),
                    num(c.get("cold_start_s"), ".1f"),
                    f"{c.get('texts_per_s') or 0:.2f} ({_batch(c)})",
                    num(c.get("prompt_tokens_per_text")),
                    mb(c.get("disk_mb")),
                ]
                for c in report["classifiers"]
            ],
        ),
        "",
        "Floor: 2 x non-embedding parameters x tokens processed per text / the GEMM rate measured "
        "in this run. Tokens processed exclude a cached prompt prefix. Per 1,000 characters: "
        "the latency probe's time (batch 1) and the whole pass's (bulk) over the characters read; "
        "long texts cost windows in proportion to their length."
        + (NA_NOTE if any("floor_s" not in c["latency"] for c in report["classifiers"]) else ""),
        "",
    ]


def _slices(report: dict[str, Any]) -> list[str]:
    """Per-slice tables: types, formats, languages, difficulty, negative kinds."""
    lines: list[str] = []
    lines += ["## Slices", ""]
    for key, title in (
        ("type", "recall per PII type"),
        ("format", "F1 per format"),
        ("language", "F1 per language"),
        ("difficulty", "F1 per difficulty"),
        ("length", "F1 per text length (long: 1,500 characters or more, read as windows)"),
        ("negative_kind", "false-positive rate per hard-negative kind"),
    ):
        metric = {"type": "recall", "negative_kind": "fpr"}.get(key, "f1")
        if key not in report["classifiers"][0]["slices"]:  # a report from before the slice
            continue  # fmt: skip
        values = sorted(report["classifiers"][0]["slices"][key])
        rows = [
            [
                v,
                str(report["classifiers"][0]["slices"][key][v]["n"]),
                *[fmt(c["slices"][key][v].get(metric)) for c in report["classifiers"]],
            ]
            for v in values
        ]
        lines += [
            f"### {title}",
            "",
            *table(["slice", "n", *[c["name"] for c in report["classifiers"]]], rows),
            "",
        ]
    rows = []
    for c in report["classifiers"]:
        sl = c["slices"]
        rows.append(
            [
                c["name"],
                fmt(sl["hard_negatives"]["fpr"]),
                fmt(sl["obfuscated"]["recall"]),
                fmt(sl["novel"]["novel"]["f1"]),
                fmt(sl["novel"]["known"]["f1"]),
            ]
        )
    first = report["classifiers"][0]["slices"]
    lines += [
        "### Hard negatives, obfuscation, novel patterns",
        "",
        *table(
            [
                "classifier",
                f"FPR hard neg. (n={first['hard_negatives']['n']})",
                f"recall obfuscated (n={first['obfuscated']['n']})",
                f"F1 novel (n={first['novel']['novel']['n']})",
                f"F1 known (n={first['novel']['known']['n']})",
            ],
            rows,
        ),
        "",
    ]
    return lines


def markdown(report: dict[str, Any]) -> str:
    """report.md: verdict first, then headline, paired test, latency, confusion matrices,
    slices, grouped errors, versions."""
    lines = _title(report)
    for section in (_verdict, _headline, ood_section, _paired, _latency):
        lines += section(report)
    lines += _cache_and_batch(report["classifiers"])
    for section in (confusion_section, _slices, errors_section, versions_section):
        lines += section(report)
    return "\n".join(lines)


def html_page(report: dict[str, Any], markdown_text: str, images: dict[str, bytes]) -> str:
    """The bench page: verdict and headline first, then the plots, then the detail tables."""
    return html_page_of("pii bench", markdown_text, images, images_before="Latency and cost")


REPORT_FILES = ("report.json", "report.md", "report.html")  # plus the PNG plots


def report_set(report: dict[str, Any], images: dict[str, bytes]) -> dict[str, str | bytes]:
    """Every file of a bench report, by name: report.json, the plots, report.md, report.html."""
    images = dict(sorted(images.items()))  # the same order as a re-render from the files
    text = markdown(report)
    return {
        "report.json": json.dumps(report, indent=2) + "\n",
        **images,
        "report.md": text,
        "report.html": html_page(report, text, images),
    }


def rerender(directory: Path) -> Path:
    """Rebuild report.md and report.html in `directory` from its report.json and PNG files,
    after checking them against the folder's manifest; the set is replaced as a unit."""
    from pii.errors import DataError
    from pii.publish import check, publish
    from pii.report_format import read_report

    # The pages are what a re-render rebuilds; the data and the plots must be the run's own.
    changed = [name for name in check(directory) if name not in ("report.md", "report.html")]
    if changed:
        raise DataError(
            f"{directory}: {', '.join(changed)} changed since the bench wrote them (manifest.json "
            "does not match); re-run `pii bench` rather than mix files of two runs"
        )
    report = read_report(directory / "report.json")
    images = {p.name: p.read_bytes() for p in sorted(directory.glob("*.png"))}
    files = report_set(report, images)
    files["report.json"] = (directory / "report.json").read_bytes()  # kept byte for byte
    publish(directory, files, legacy=REPORT_FILES)
    return directory / "report.html"
