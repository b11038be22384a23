"""How a LongBench-Cite run reads: the printed lines, and the report's headline and table.

The headline is the paper's Table 2 columns (citation R, P, F1 averaged over the 5 entries,
x100) with this run's row above the published rows; the section below it is the per-dataset
table of the official result object, beside SelfCite's reproduction of LongCite-8B.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lmforge.evaluation.references import Headline, read_scores, run_label
from lmforge.evaluation.report import Section, register_section

from .scoring import AVERAGED, ENTRIES

__all__ = ["bench_lines", "dataset_table", "longcite_headline", "longcite_section"]

_HEAD = ("citation_recall", "citation_precision", "citation_f1", "correctness")
_COLUMNS = ("n", "citation_recall", "citation_precision", "citation_f1", "correctness",
            "citation_length")  # fmt: skip
FULL_SIZES = {"longbench-chat": 50, "multifieldqa_en": 150, "multifieldqa_zh": 200,
              "hotpotqa": 200, "dureader": 200, "gov_report": 200}  # fmt: skip
"""Instances per dataset in the published LongBench-Cite.json (1,000 in all)."""


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def dataset_table(scores: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per result entry present (official order), then the 5-entry average."""
    per = scores.get("scores") or {}
    rows = [{"dataset": e, **{c: per[e].get(c) for c in _COLUMNS}} for e in ENTRIES if e in per]
    if rows:
        rows.append({"dataset": "average (5 entries)", "n": scores.get("n"),
                     **{c: scores.get(c) for c in _COLUMNS[1:]}})  # fmt: skip
    return rows


def bench_lines(scores: dict[str, Any]) -> list[str]:
    """``citation_recall`` / ``citation_precision`` / ``citation_f1`` / ``correctness`` lines
    (5-entry averages), the counts a reader must see, then the per-dataset table."""
    lines = [f"{key}: {_fmt(scores.get(key))}" for key in _HEAD]
    if scores.get("correctness_ratio") is not None:
        lines.append(f"correctness_ratio: {_fmt(scores['correctness_ratio'])}")
    length = scores.get("citation_length")
    lines.append(f"citation_length: {_fmt(length)} (approximate tokens per citation)")
    lines.append(f"n: {scores.get('n')}")
    lines.append(f"unparsed_verdicts: {scores.get('unparsed') or 0}")
    lines.append(f"dropped_instances: {scores.get('dropped') or 0}")
    lines.append(f"correctness_unparsed: {scores.get('correctness_unparsed') or 0}")
    if scores.get("missing_entries"):
        lines.append(f"note: averaged without {', '.join(scores['missing_entries'])}")
    if scores.get("citation_recall") is None:
        lines.append("note: no judge ran (--judge): only citation counts and length")
    header = f"  {'dataset':20}" + "".join(f"{c[:18]:>20}" for c in _COLUMNS)
    lines.append(header)
    for row in dataset_table(scores):
        cells = "".join(f"{_fmt(row[c]):>20}" for c in _COLUMNS)
        lines.append(f"  {row['dataset']:20}{cells}")
    return lines


def _x100(value: Any) -> Any:
    return None if value is None else 100 * value


def longcite_headline(run_dir: Path, summary: dict[str, Any]) -> Headline | None:
    """The paper's Table 2 (citation R, P, F1, x100) with this run above the published rows."""
    from .references import HEADLINE_ROWS, HEADLINE_SOURCE

    scores = read_scores(run_dir)
    if not scores or "scores" not in scores:
        return None
    row = {"model": run_label(summary, run_dir)}
    row.update({k: _x100(scores.get(k)) for k in ("citation_recall", "citation_precision",
                                                  "citation_f1")})  # fmt: skip
    notes = []
    if scores.get("citation_recall") is None:
        notes.append("No judge ran (--judge): recall, precision and F1 are not computed.")
    per = scores.get("scores") or {}
    short = [f"{d} {per.get(d, {}).get('n', 0)}/{n}" for d, n in FULL_SIZES.items()
             if per.get(d, {}).get("n", 0) != n]  # fmt: skip
    if short:
        notes.append("Instances run vs published: " + ", ".join(short) + ".")
    if scores.get("unparsed"):
        notes.append(f"{scores['unparsed']} judge verdicts never parsed (see the score rows).")
    return Headline(
        title="LongBench-Cite: citation recall, precision and F1 (5-entry average, x100)",
        columns=["model", "citation_recall", "citation_precision", "citation_f1"],
        rows=[row],
        references=HEADLINE_ROWS,
        source=HEADLINE_SOURCE,
        notes=notes,
        text=f"Averaged over {', '.join(AVERAGED)} (MultiFieldQA pools en and zh).",
    )


def longcite_section(run_dir: Path, summary: dict[str, Any]) -> Section | None:
    """The per-dataset table of this run, then SelfCite's official-script reproduction."""
    from .references import SELFCITE_BON, SELFCITE_SOURCE

    scores = read_scores(run_dir)
    if not scores or "scores" not in scores:
        return None
    ours = [{"run": "this run", **r} for r in dataset_table(scores)]
    theirs = [{"run": "SelfCite BoN (reference)", **r} for r in dataset_table(SELFCITE_BON)]
    return Section(
        title="LongBench-Cite per dataset",
        table=ours + theirs,
        text=f"Citation length is approximate (lmforge's offline tokenizer, not GLM-4's). "
        f"Reference rows: {SELFCITE_SOURCE}.",
    )


for _name in ("longbench_cite",):
    register_section(longcite_headline, name=_name)
    register_section(longcite_section, name=_name)
