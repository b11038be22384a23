"""What a LongWriter run shows: score lines on the terminal, a section in the HTML report.

The report opens with the paper's table (:func:`longwriter_headline`: S_l, S_q and S per
length range for LongBench-Write, the length score and words written per required length for
LongWrite-Ruler, the published rows of :mod:`.references` under this run's). The section
(registered as "longwriter", selected by ``"report": ["longwriter"]`` in summary.json, and
under the benchmarks' names for ``lmforge eval`` runs) then plots output length against
required length on log-log axes, the figure of the paper, for all three kinds of run:
LongBench-Write scoring (one point per prompt, coloured by length range), LongWrite-Ruler
(points and the median per required length) and AgentWrite (written words against each
instruction's target). Tables carry the breakdowns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lmforge.errors import InputError
from lmforge.evaluation.references import Headline, run_label
from lmforge.evaluation.report import Section, new_figure, register_section
from lmforge.inputs import read_json, read_yaml
from lmforge.pipeline.records import iter_jsonl
from lmforge.pipeline.rundir import RunDir

from .judge import DIMENSIONS
from .lengthscore import BUCKETS, length_bucket

__all__ = [
    "finish_summary",
    "fmt",
    "length_figure",
    "longwriter_headline",
    "longwriter_section",
    "ruler_lines",
    "score_lines",
]


def fmt(value: Any) -> str:
    """4 decimals for scores, as the official printout; ``-`` for no value."""
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def finish_summary(run: RunDir, what: str, cfg: BaseModel, **extra: Any) -> None:
    """Point the report at the longwriter section and add this run's own settings (paths,
    policies) to the config the benchmark core wrote."""
    summary = run.read_summary()
    summary.update(what=what, report=["longwriter"], **extra)
    run.write_summary(summary)
    path = run / "config.yaml"
    core = read_yaml(path) if path.exists() else None
    run.write_config({**(core or {}), "longwriter": cfg.model_dump(mode="json")})


def _table(rows: list[dict[str, Any]], key: str, columns: list[str]) -> list[str]:
    width = max([len(key)] + [len(str(r[key])) for r in rows])
    lines = ["  " + key.ljust(width) + "".join(c.rjust(15) for c in columns)]
    for row in rows:
        cells = "".join(fmt(row.get(c)).rjust(15) for c in columns)
        lines.append("  " + str(row[key]).ljust(width) + cells)
    return lines


def score_lines(scores: dict[str, Any]) -> list[str]:
    """``name: value`` headline lines (length_score first, 4 decimals), then the breakdowns."""
    judged = "quality_score" in scores
    head = ["length_score"] + (["quality_score", "overall"] if judged else [])
    lines = [f"{name}: {fmt(scores.get(name))}" for name in head]
    lines.append(f"n: {scores.get('n')}")
    if judged:
        lines.append(f"judge_failures: {scores.get('judge_failures')}")
        lines += [f"{dim}: {fmt(scores.get(dim))}" for dim in DIMENSIONS]
    columns = ["n", *head]
    lines += ["by length range:", *_table(scores.get("by_bucket", []), "bucket", columns)]
    lines += ["by type:", *_table(scores.get("by_type", []), "type", columns)]
    return lines


def ruler_lines(scores: dict[str, Any]) -> list[str]:
    """``name: value`` headline lines, then one line per required length."""
    lines = [
        f"max_output_length: {scores.get('max_output_length')}",
        f"length_score: {fmt(scores.get('length_score'))}",
        f"n: {scores.get('n')}",
    ]
    columns = ["n", "mean_output", "median_output", "max_output", "length_score"]
    return lines + _table(scores.get("by_length", []), "length", columns)


# --------------------------------------------------------------------------- HTML section


def _jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of one of our files, through the input gate (a run folder is handed in by a user);
    a torn last line (killed run) is skipped, not fatal."""
    if not path.exists():
        return []
    return [row for _, row in iter_jsonl(path, allow_empty=True, tolerate_torn_tail=True)]


def _agentwrite_rows(run_dir: Path) -> list[dict[str, Any]]:
    """Kept rows, then dropped ones (the runner's sidecar: ``reason`` beside the same ``_meta``),
    each ``_meta`` with ``dropped`` set to the reason or None."""
    kept = [
        {**r, "_meta": {**(r.get("_meta") or {}), "dropped": None}}
        for r in _jsonl(run_dir / "agentwrite.jsonl")
    ]
    dropped = [
        {**r, "_meta": {**(r.get("_meta") or {}), "dropped": r.get("reason")}}
        for r in _jsonl(run_dir / "agentwrite.dropped.jsonl")
    ]
    return kept + dropped


def _points(run_dir: Path, what: str) -> list[tuple[float, float, str]]:
    """(required, produced, group) for every scored or written record."""
    if what == "agentwrite":
        metas = [r["_meta"] for r in _agentwrite_rows(run_dir)]
        return [
            (m["target_words"], m.get("words", 0), "dropped" if m.get("dropped") else "kept")
            for m in metas
            if m.get("target_words")
        ]
    points = []
    for row in _jsonl(run_dir / "final.jsonl"):
        score = row.get("score") or {}
        if "response_length" in score and row.get("length"):
            group = length_bucket(row["length"]) if what != "ruler" else str(row.get("type", ""))
            points.append((row["length"], score["response_length"], group))
    return points


def length_figure(points: list[tuple[float, float, str]], title: str) -> Any:
    """Output vs required length, log-log, with y = x and the band where S_l > 0 (l/3 .. 4l).

    An empty output cannot sit on a log axis: it is drawn at 1 and counted in the legend.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig = new_figure(6.4, 4.4)
    ax = fig.add_subplot()
    groups = dict.fromkeys(g for _, _, g in points)
    for group in groups:
        xs = [x for x, _, g in points if g == group]
        ys = [max(y, 1) for _, y, g in points if g == group]
        ax.scatter(xs, ys, s=18, alpha=0.75, label=group or "all")
    low = min(x for x, _, _ in points)
    high = max(x for x, _, _ in points)
    widen = max(1.5, (10 * low / high) ** 0.5)  # at least a decade, even for one point
    grid = [low / widen, high * widen]
    ax.plot(grid, grid, color="black", linewidth=1, label="output = required")
    ax.fill_between(
        grid,
        [g / 3 for g in grid],
        [g * 4 for g in grid],
        color="grey",
        alpha=0.12,
        label="S_l > 0",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("required length (words / CJK characters)")
    ax.set_ylabel("output length")
    empty = sum(1 for _, y, _ in points if y == 0)
    ax.set_title(title + (f" ({empty} empty outputs drawn at 1)" if empty else ""))
    ax.legend(fontsize="small", loc="upper left")
    return fig


def _scores(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "scores.json"
    if not path.exists():
        return {}
    scores = read_json(path)
    if not isinstance(scores, dict):
        raise InputError("expected a JSON object of scores", path=path)
    return scores


def _tables(run_dir: Path, what: str) -> list[dict[str, Any]]:
    if what == "agentwrite":
        return [
            {
                "id": r.get("id"),
                "prompt": r.get("prompt"),
                **{
                    k: (r.get("_meta") or {}).get(k)
                    for k in (
                        "mode",
                        "planned_words",
                        "paragraph_words",
                        "words",
                        "target_words",
                        "dropped",
                    )
                },
            }
            for r in _agentwrite_rows(run_dir)
        ]
    scores = _scores(run_dir)
    if what == "ruler":
        return scores.get("by_length", [])
    buckets = [
        {"group": f"length {r['bucket']}", **{k: v for k, v in r.items() if k != "bucket"}}
        for r in scores.get("by_bucket", [])
    ]
    types = [
        {"group": f"type {r['type']}", **{k: v for k, v in r.items() if k != "type"}}
        for r in scores.get("by_type", [])
    ]
    overall = {"group": "all", **{k: v for k, v in scores.items() if not isinstance(v, list)}}
    return [overall, *buckets, *types] if scores else []


# --------------------------------------------------------------------------- headline

LONGBENCH_WRITE_N = 120
"""Prompts in the full LongBench-Write set (the paper's figures are over all of them)."""


def _kind(summary: dict[str, Any]) -> str:
    """agentwrite, ruler or longbench_write, for the system's commands and ``lmforge eval``."""
    what = str(summary.get("what") or "longbench_write")
    return {"longwrite_ruler": "ruler"}.get(what, what)


def _bench_headline(scores: dict[str, Any], label: str) -> Headline:
    from .references import LONGBENCH_WRITE_ROWS, LONGBENCH_WRITE_SOURCE

    row: dict[str, Any] = {
        "model": label,
        "S_l": scores.get("length_score"),
        "S_q": scores.get("quality_score"),
        "S": scores.get("overall"),
    }
    for bucket in scores.get("by_bucket", []):
        row[f"{bucket['bucket']} S_l"] = bucket.get("length_score") if bucket.get("n") else None
        row[f"{bucket['bucket']} S_q"] = bucket.get("quality_score") if bucket.get("n") else None
    columns = ["model", "S_l", "S_q", "S"]
    columns += [f"{bucket} {m}" for bucket, _, _ in BUCKETS for m in ("S_l", "S_q")]
    notes = []
    if "quality_score" not in scores:
        notes.append("No judge ran (--judge): S_q and S are not computed, only S_l.")
    n = scores.get("n") or 0
    if n != LONGBENCH_WRITE_N:
        notes.append(
            f"{n} of the {LONGBENCH_WRITE_N} prompts: the published figures are over all of them."
        )
    counts = ", ".join(f"{b['bucket']} {b.get('n', 0)}" for b in scores.get("by_bucket", []))
    return Headline(
        title="LongBench-Write: S_l, S_q and S, overall and per required length",
        columns=columns,
        rows=[row],
        references=LONGBENCH_WRITE_ROWS,
        source=LONGBENCH_WRITE_SOURCE,
        notes=notes,
        text=(
            f"Prompts per range: {counts}. S_l: length score (100 at the required length, 0 "
            "below a third or above four times it); S_q: the judge's six quality ratings on "
            "0-100; S = (S_l + S_q) / 2."
        ),
    )


def _ruler_headline(scores: dict[str, Any], label: str) -> Headline:
    from .references import RULER_ROWS, RULER_SOURCE

    by_length = scores.get("by_length", [])
    lengths = [str(r["length"]) for r in by_length]
    rows = [
        {
            "model": label,
            "row": name,
            **{str(r["length"]): r.get(key) for r in by_length},
            "max": scores.get("max_output_length") if key == "median_output" else None,
        }
        for name, key in (("S_l", "length_score"), ("median words", "median_output"))
    ]
    return Headline(
        title="LongWrite-Ruler: length score and words written per required length",
        columns=["model", "row", *lengths, "max"],
        rows=rows,
        references=RULER_ROWS,
        source=RULER_SOURCE,
        digits=0,
        text=(
            f"{scores.get('n', 0)} prompts. Columns: the required length in words; max: the "
            "longest output of the run, the figure where the paper's models level off."
        ),
    )


def longwriter_headline(run_dir: Path, summary: dict[str, Any]) -> Headline | None:
    """The paper's table of a LongBench-Write or LongWrite-Ruler run (none for AgentWrite)."""
    kind = _kind(summary)
    scores = _scores(run_dir)
    if kind == "agentwrite" or not scores:
        return None
    label = run_label(summary, run_dir)
    return (_ruler_headline if kind == "ruler" else _bench_headline)(scores, label)


_TITLES = {
    "agentwrite": "AgentWrite: written words vs target",
    "ruler": "LongWrite-Ruler: output length vs required length",
    "longbench_write": "LongBench-Write: output length vs required length",
}


def longwriter_section(run_dir: Path, summary: dict[str, Any]) -> Section | None:
    """The length plot and the breakdown table of a LongWriter run."""
    what = _kind(summary)
    points = _points(run_dir, what)
    table = _tables(run_dir, what)
    if not points and not table:
        return None
    figures = [length_figure(points, _TITLES.get(what, what))] if points else []
    ranges = ", ".join(label for label, _, _ in BUCKETS)
    text = (
        "S_l = 0 outside the grey band (output below a third or above four times the "
        f"required length). Length ranges: {ranges}."
    )
    return Section(title=_TITLES.get(what, what), figures=figures, table=table or None, text=text)


# The system's commands name "longwriter"; ``lmforge eval`` runs are named for the benchmark.
for _name in ("longwriter", "longbench_write", "longwrite_ruler"):
    register_section(longwriter_headline, name=_name)
    register_section(longwriter_section, name=_name)
