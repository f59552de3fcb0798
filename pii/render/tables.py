"""The small pieces every rendered output shares: number formats, a Markdown table, an HTML
page around Markdown. Used by the bench report, the decision and the learning curve.

Left out: what goes in the tables (each renderer decides).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from typing import Any

NA = "n/a"


def fmt(value: float | None, ci: Sequence[float] | None = None) -> str:
    """A score with its interval: 0.862 [0.838, 0.886]; n/a when there is none."""
    if value is None:
        return NA
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{value:.3f}"


def ms(seconds: float | None) -> str:
    """Milliseconds, with decimals below 10 ms (a regex takes a fraction of one)."""
    if seconds is None:
        return NA
    value = seconds * 1000
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def mb(value: float | None) -> str:
    if value is None:
        return NA
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def num(value: float | None, spec: str = ".0f") -> str:
    return NA if not value else format(value, spec)


def money(x: float) -> str:
    """An amount in the user's currency: cents when it has any, else two significant digits."""
    return f"{x:,.2f}" if abs(x) >= 0.01 or x == 0 else f"{x:.2g}"


def per_1k_chars(c: Mapping[str, Any]) -> str:
    """Milliseconds per 1,000 characters at batch 1 (with its floor) and in bulk."""
    lat = c.get("latency") or {}
    if lat.get("ms_per_1k_chars") is None:
        return "-"
    floor = lat.get("floor_ms_per_1k_chars")
    floor_text = f" ({floor:.0f})" if floor is not None else ""
    bulk = c.get("ms_per_1k_chars")
    return f"{lat['ms_per_1k_chars']:.0f}{floor_text}, {bulk:.0f}" if bulk else "-"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table as lines."""
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *["| " + " | ".join(r) + " |" for r in rows],
    ]


def html_page(
    title: str,
    markdown_text: str,
    images: Mapping[str, bytes] | None = None,
    images_before: str | None = None,
) -> str:
    """A self-contained page: the Markdown rendered to HTML, PNG images inlined under a
    "Plots" heading placed before the section `images_before` (else at the end)."""
    import markdown as md

    figs = "".join(
        f'<figure><img alt="{html.escape(n)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode()}"/></figure>'
        for n, data in (images or {}).items()
    )
    body = md.markdown(markdown_text, extensions=["tables"])
    figs = f"<h2>Plots</h2>{figs}" if figs else ""
    mark = f"<h2>{images_before}</h2>" if images_before else ""
    head, found, rest = body.partition(mark) if mark else (body, "", "")
    if mark and not found:
        head, rest = body, ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;"
        "padding:0 1em}table{border-collapse:collapse;font-size:13px;margin:.5em 0;"
        "display:block;overflow-x:auto;max-width:100%}"  # a wide table scrolls, the page does not
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
        "td:first-child{white-space:nowrap}details{margin:.3em 0;font-size:13px}"
        "summary{cursor:pointer}img{max-width:100%;height:auto}figure{margin:1em 0}"
        "</style></head><body>"
        f"{head}{figs}{found}{rest}</body></html>"
    )
