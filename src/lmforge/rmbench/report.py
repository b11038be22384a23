"""The RM-Bench sections of ``lmforge report``: the leaderboard's table with this run's row on
top (the headline), then the full table and a heatmap of each style matrix.

The heatmap is the paper's figure: reading down a column shows how much a model's preference
moves with the chosen answer's style, and a bright lower triangle over a dark upper one is the
signature of a style-biased reward model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lmforge.errors import InputError
from lmforge.evaluation.references import Headline
from lmforge.evaluation.report import Section, new_figure, report_section
from lmforge.inputs import read_json, read_yaml

from .data import DOMAINS, STYLES
from .references import COLUMNS, find_leaderboard, leaderboard_rows

__all__ = ["rmbench_headline", "rmbench_section", "style_heatmaps"]


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


def _scores(run_dir: Path) -> dict[str, Any] | None:
    path = Path(run_dir) / "scores.json"
    if not path.is_file():
        return None
    scores = read_json(path, allow_nan=True)
    if not isinstance(scores, dict) or not isinstance(scores.get("domains"), dict):
        raise InputError("expected the RM-Bench table (a JSON object with domains)", path=path)
    return scores


def _data_paths(run_dir: Path) -> list[Path]:
    """The data files or folders the run read, from its config (``rmbench run``'s ``data``,
    ``lmforge eval rmbench``'s ``options.data``)."""
    path = Path(run_dir) / "config.yaml"
    config = read_yaml(path) if path.is_file() else None
    if not isinstance(config, dict):
        return []
    options = (config.get("eval") or {}).get("options") or {}
    data = config.get("data") or options.get("data") or []
    data = [data] if isinstance(data, str) else data
    return [Path(p) for p in data if isinstance(p, str)]


def _run_row(scores: dict[str, Any], name: str) -> dict[str, Any]:
    domains = scores["domains"]
    row = {"model": f"this run: {name}", "type": name.partition(":")[0]}
    row.update({d.capitalize(): (domains.get(d) or {}).get("avg") for d in DOMAINS})
    row.update({k.capitalize(): scores.get(k) for k in ("easy", "normal", "hard")})
    row["Avg"] = scores.get("overall")
    return row


@report_section("rmbench")
def rmbench_headline(run_dir: Path, summary: dict[str, Any]) -> Headline | None:
    """The leaderboard's columns, this run's row first, then the published rows."""
    scores = _scores(run_dir)
    if scores is None:
        return None
    name = str(summary.get("scorer") or summary.get("model") or "scorer")
    notes = []
    try:
        references, source = leaderboard_rows(find_leaderboard(_data_paths(run_dir)))
    except InputError as exc:  # a bad leaderboard file costs its rows, not the report
        references, source = leaderboard_rows(None)
        notes.append(f"Leaderboard not read ({exc}); showing the rows typed into lmforge.")
    if any(r.get("model") == "DeepSeek R1" and r.get("Math") == 72.7 for r in references):
        notes.append(
            "The leaderboard's DeepSeek R1 row swaps Math and Code against its README "
            "(README: Math 93.59, Code 72.66)."
        )
    missing = scores.get("missing") or []
    if missing:
        notes.append(
            f"Not run: {', '.join(missing)}. This run's Avg averages the other domains only and "
            "is not comparable with the leaderboard's four-domain Avg."
        )
    counts = ", ".join(f"{d} {v['n']}" for d, v in scores["domains"].items())
    return Headline(
        title="RM-Bench: accuracy (%) by domain and by difficulty",
        columns=COLUMNS,
        rows=[_run_row(scores, name)],
        references=references,
        source=source,
        notes=notes,
        text=(
            f"Samples per domain: {counts}. Easy, Normal and Hard pair the chosen and rejected "
            "responses' styles (the heatmaps below); Avg is the mean of the four domains."
        ),
    )


@report_section("rmbench")
def rmbench_section(run_dir: Path, summary: dict[str, Any]) -> Section | None:
    """Reads ``scores.json``; a run killed before the metric has none and gets no section."""
    scores = _scores(run_dir)
    if scores is None:
        return None
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
        title=f"RM-Bench: {summary.get('scorer') or summary.get('model') or ''}, every domain",
        figures=[style_heatmaps(scores["domains"])],
        table=_rows(scores),
        text=note,
    )
