"""Presenting a bench report: Markdown, a self-contained HTML page with plots, PNG files.

Input is the report dictionary (what report.json holds); nothing here runs a model or
computes a statistic. Record text never appears: errors are listed by id and slice.

Left out: the numbers themselves (pii.bench, pii.stats).
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

HEADLINE = (
    ("f1", "F1"),
    ("f2", "F2"),
    ("recall", "recall"),
    ("precision", "precision"),
    ("accuracy", "accuracy"),
    ("auroc", "AUROC"),
    ("ece", "ECE"),
)


def _fmt(value: float | None, ci: list[float] | None = None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{value:.3f}"


def headline_rows(report: dict[str, Any]) -> list[list[str]]:
    """One row per classifier: the headline metrics with intervals, FPR, latency, tokens."""
    rows = []
    for c in report["classifiers"]:
        s, ci, lat = c["scores"], c["ci95"], c.get("latency", {})
        fpr = c["slices"]["hard_negatives"]["fpr"]
        rows.append(
            [
                c["name"],
                *[_fmt(s.get(k), ci.get(k)) for k, _ in HEADLINE],
                _fmt(fpr),
                f"{lat.get('p50_s', 0) * 1000:.0f}",
                f"{lat.get('p95_s', 0) * 1000:.0f}",
                f"{c.get('prompt_tokens_per_text') or 0:.0f}",
            ]
        )
    return rows


HEADLINE_HEADER = [
    "classifier",
    *[h for _, h in HEADLINE],
    "FPR hard neg.",
    "p50 ms",
    "p95 ms",
    "tokens/text",
]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *["| " + " | ".join(r) + " |" for r in rows],
    ]


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
            *_table(
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
            *_table(
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


def markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [
        f"# pii bench: {env['model']} on {Path(env['data']).name}",
        "",
        f"{report['n']} items · {env['date']} · {env['processor']} ({env['cores']} cores, "
        f"{env['memory_gb']} GB) · {env['platform']} · GEMM {env['gemm_gflops']} GFLOP/s · "
        f"network attempts: **{report['network_attempts']}**",
        "",
    ]
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
    lines += [
        "## Headline",
        "",
        *_table(HEADLINE_HEADER, headline_rows(report)),
        "",
        "Intervals: 95% bootstrap (1,000 resamples). Thresholds come from the validation "
        "split, never from the benched data.",
        "",
    ]
    if report.get("paired"):
        p = report["paired"]
        lines += [
            "## Paired comparison (adapter vs baseline, same items)",
            "",
            f"- McNemar exact test: only the baseline right on {p['mcnemar']['only_base_right']}, "
            f"only the adapter right on {p['mcnemar']['only_other_right']}, p = {p['mcnemar']['p_value']:.2g}",
            f"- F1 difference {p['f1_diff']:+.3f} (95% CI {p['f1_diff_ci95'][0]:+.3f} to {p['f1_diff_ci95'][1]:+.3f})",
            f"- recall difference {p['recall_diff']:+.3f} (95% CI {p['recall_diff_ci95'][0]:+.3f} to {p['recall_diff_ci95'][1]:+.3f})",
            "",
        ]
    lines += [
        "## Latency and cost",
        "",
        *_table(
            [
                "classifier",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "floor ms",
                "cold start s",
                "texts/s (best batch)",
                "tokens/text",
                "on disk MB",
            ],
            [
                [
                    c["name"],
                    *(f"{c['latency'].get(k, 0) * 1000:.0f}" for k in ("p50_s", "p95_s", "p99_s")),
                    f"{c['latency'].get('floor_s', 0) * 1000:.0f}",
                    f"{c.get('cold_start_s') or 0:.1f}",
                    f"{c.get('texts_per_s') or 0:.2f} (batch {c.get('throughput_batch', 16)})",
                    f"{c.get('prompt_tokens_per_text') or 0:.0f}",
                    f"{c.get('disk_mb', 0):.1f}",
                ]
                for c in report["classifiers"]
            ],
        ),
        "",
        "Floor: 2 x non-embedding parameters x tokens processed per text / the GEMM rate measured "
        "in this run. Tokens processed exclude a cached prompt prefix.",
        "",
    ]
    lines += _cache_and_batch(report["classifiers"])
    lines += ["## Slices", ""]
    for key, title in (
        ("type", "recall per PII type"),
        ("format", "F1 per format"),
        ("language", "F1 per language"),
        ("difficulty", "F1 per difficulty"),
        ("negative_kind", "false-positive rate per hard-negative kind"),
    ):
        metric = {"type": "recall", "negative_kind": "fpr"}.get(key, "f1")
        values = sorted(report["classifiers"][0]["slices"][key])
        rows = [
            [
                v,
                str(report["classifiers"][0]["slices"][key][v]["n"]),
                *[_fmt(c["slices"][key][v].get(metric)) for c in report["classifiers"]],
            ]
            for v in values
        ]
        lines += [
            f"### {title}",
            "",
            *_table(["slice", "n", *[c["name"] for c in report["classifiers"]]], rows),
            "",
        ]
    rows = []
    for c in report["classifiers"]:
        sl = c["slices"]
        rows.append(
            [
                c["name"],
                _fmt(sl["hard_negatives"]["fpr"]),
                _fmt(sl["obfuscated"]["recall"]),
                _fmt(sl["novel"]["novel"]["f1"]),
                _fmt(sl["novel"]["known"]["f1"]),
            ]
        )
    first = report["classifiers"][0]["slices"]
    lines += [
        "### Hard negatives, obfuscation, novel patterns",
        "",
        *_table(
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
    lines += ["## Errors (by record id; texts with `--show-text`)", ""]
    for c in report["classifiers"]:
        ids = ", ".join(
            f"{e['id']} ({'missed' if e['truth'] else 'false alarm'})" for e in c["errors"][:40]
        )
        more = (
            f" ... and {len(c['errors']) - 40} more (report.json)" if len(c["errors"]) > 40 else ""
        )
        lines += [f"- **{c['name']}** ({len(c['errors'])}): {ids}{more}"]
    lines += [
        "",
        f"Versions: {report['environment']['versions']}. Data sha256 "
        f"{report['environment']['data_sha256'][:16]}...",
        "",
    ]
    return "\n".join(lines)


# -- plots ----------------------------------------------------------------------------------
def plots(
    report: dict[str, Any], y: Any, probs: dict[str, Any], latencies: dict[str, list[float]]
) -> dict[str, bytes]:
    """PNG images: ROC and PR curves, reliability diagram, per-type recall, latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import precision_recall_curve, roc_curve

    images: dict[str, bytes] = {}

    def save(fig: Any, name: str) -> None:
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        images[name] = buf.getvalue()

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for name, p in probs.items():
        fpr, tpr, _ = roc_curve(y, p)
        a.plot(fpr, tpr, label=name)
        prec, rec, _ = precision_recall_curve(y, p)
        b.plot(rec, prec, label=name)
    a.plot([0, 1], [0, 1], ":", color="grey")
    a.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC")
    b.set(xlabel="recall", ylabel="precision", title="precision-recall")
    a.legend()
    save(fig, "curves.png")

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, 1], [0, 1], ":", color="grey")
    for c in report["classifiers"]:
        pts = c.get("reliability", [])
        ax.plot(
            [q["mean_p"] for q in pts],
            [q["rate"] for q in pts],
            "o-",
            label=f"{c['name']} (ECE {c['scores']['ece']:.3f})",
        )
    ax.set(xlabel="mean predicted P(PII)", ylabel="observed PII rate", title="reliability")
    ax.legend()
    save(fig, "reliability.png")

    types = list(report["classifiers"][0]["slices"]["type"])
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(report["classifiers"])
    for i, c in enumerate(report["classifiers"]):
        vals = [c["slices"]["type"][t]["recall"] for t in types]
        ns = [c["slices"]["type"][t]["n"] for t in types]
        err = [1.96 * np.sqrt(max(v * (1 - v), 1e-9) / n) for v, n in zip(vals, ns, strict=True)]
        ax.bar(np.arange(len(types)) + i * width, vals, width, yerr=err, capsize=2, label=c["name"])
    ax.set_xticks(np.arange(len(types)) + width * (len(report["classifiers"]) - 1) / 2)
    ax.set_xticklabels(types, rotation=45, ha="right", fontsize=8)
    ax.set(ylabel="recall (95% normal interval)", title="recall per PII type", ylim=(0, 1.05))
    ax.legend()
    save(fig, "slices.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, times in latencies.items():
        ax.hist(np.array(times) * 1000, bins=20, alpha=0.6, label=name)
    ax.set(xlabel="ms per text (batch 1, warm)", ylabel="texts", title="latency")
    ax.legend()
    save(fig, "latency.png")
    return images


def html_page(report: dict[str, Any], markdown_text: str, images: dict[str, bytes]) -> str:
    """A self-contained page: the Markdown report rendered to HTML, plots inlined."""
    import markdown as md

    figs = "".join(
        f'<figure><img alt="{html.escape(n)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode()}"/></figure>'
        for n, data in images.items()
    )
    body = md.markdown(markdown_text, extensions=["tables"])
    head, _, rest = body.partition("</h1>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>pii bench</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:13px;margin:.5em 0}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
        "img{max-width:100%}figure{margin:1em 0}</style></head><body>"
        f"{head}</h1>{figs}{rest}</body></html>"
    )


def rerender(directory: Path) -> Path:
    """Rebuild report.md and report.html in `directory` from its report.json and PNG files."""
    from pii.jsonl import write_atomic

    report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    images = {p.name: p.read_bytes() for p in sorted(directory.glob("*.png"))}
    text = markdown(report)
    write_atomic(directory / "report.md", text)
    write_atomic(directory / "report.html", html_page(report, text, images))
    return directory / "report.html"
