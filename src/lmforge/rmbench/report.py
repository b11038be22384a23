"""The RM-Bench section of ``lmforge report``: the table and a heatmap of each style matrix.

The heatmap is the paper's figure: reading down a column shows how much a model's preference
moves with the chosen answer's style, and a bright lower triangle over a dark upper one is the
signature of a style-biased reward model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lmforge.evaluation.report import Section, new_figure, report_section

from .data import STYLES

__all__ = ["rmbench_section", "style_heatmaps"]


def style_heatmaps(domains: dict[str, dict[str, Any]]) -> Any:
    """One annotated 3x3 heatmap per domain, rows chosen style, columns rejected style."""
    fig = new_figure(width=3.2 * len(domains) + 0.8, height=3.4)
    axes = fig.subplots(1, len(domains), squeeze=False)[0]
    image = None
    for ax, (name, scores) in zip(axes, domains.items(), strict=True):
        matrix = scores["matrix"]
        image = ax.imshow(matrix, vmin=0, vmax=100, cmap="viridis")
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                text = "-" if value is None else f"{value:.1f}"
                dark = value is not None and value > 60
                ax.text(j, i, text, ha="center", va="center", color="black" if dark else "white")
        ax.set_xticks(range(3), STYLES, fontsize="small")
        ax.set_yticks(range(3), STYLES, fontsize="small")
        ax.set_xlabel("rejected style")
        ax.set_ylabel("chosen style")
        ax.set_title(f"{name} (n={scores['n']}): avg {scores['avg']:.1f}", fontsize="medium")
    if image is not None:
        fig.colorbar(image, ax=list(axes), shrink=0.8, label="accuracy %")
    return fig


def _rows(scores: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for group in ("domains", "subdomains"):
        for name, d in scores.get(group, {}).items():
            ci = d.get("avg_ci95")
            rows.append(
                {
                    "domain": name if group == "domains" else f"  {name} (in safety)",
                    "n": d["n"],
                    "easy": round(d["easy"], 1),
                    "normal": round(d["normal"], 1),
                    "hard": round(d["hard"], 1),
                    "avg": round(d["avg"], 1),
                    "avg 95% CI": f"{ci[0]:.1f}-{ci[1]:.1f}" if ci else "",
                }
            )
    rows.append(
        {
            "domain": "overall",
            "easy": round(scores["easy"], 1),
            "normal": round(scores["normal"], 1),
            "hard": round(scores["hard"], 1),
            "avg": round(scores["overall"], 1),
        }
    )
    return rows


@report_section("rmbench")
def rmbench_section(run_dir: Path, summary: dict[str, Any]) -> Section | None:
    """Reads ``scores.json``; a run killed before the metric has none and gets no section."""
    path = Path(run_dir) / "scores.json"
    if not path.is_file():
        return None
    scores = json.loads(path.read_text(encoding="utf-8"))
    missing = scores.get("missing") or []
    note = (
        f"Not run: {', '.join(missing)}. The overall score averages the domains above only "
        "and is not comparable to the leaderboard's four-domain Overall."
        if missing
        else "Overall = mean of the four domain averages = mean(easy, normal, hard)."
    )
    if scores.get("truncated") == "drop":
        note += " Comparisons involving a cut-off response were left out (--truncated drop)."
    judge = summary.get("judge")
    if isinstance(judge, dict) and judge.get("pairs"):
        consistency = judge.get("consistency")
        agree = "n/a" if consistency is None else f"{100 * consistency:.1f}%"
        note += (
            f" Judge: {judge['pairs']} comparisons in both orders, {judge.get('calls', 0)} calls,"
            f" {100 * judge.get('parse_failure_rate', 0):.1f}% answers without a usable verdict"
            f" (counted as wrong), the two orders agree on {agree} of the parsed comparisons."
        )
    return Section(
        title=f"RM-Bench: {summary.get('scorer', '')}",
        figures=[style_heatmaps(scores["domains"])],
        table=_rows(scores),
        text=note,
    )
