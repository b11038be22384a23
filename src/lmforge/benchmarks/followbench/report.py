"""FollowBench report lines: per level HSR/SSR, per category, CSL, and CRAB's L1..L5 mean."""

from __future__ import annotations

from lmforge.benchmarks.followbench.metrics import LEVELS, FBReport

__all__ = ["format_fb_report"]


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.1f}"


def _num(value: float | None) -> str:
    return "  - " if value is None else f"{value:4.1f}"


def _mean_csl(report: FBReport) -> float | None:
    values = [v for v in report.csl.values() if v is not None]
    return sum(values) / len(values) if values else None


def _category_lines(report: FBReport) -> list[str]:
    lines = [
        f"{'category':<10} {'metric':<4} "
        + " ".join(f"{'L' + str(n):>6}" for n in LEVELS)
        + f" {'wavg':>6}  CSL (groups)"
    ]
    for category, cells in report.cells.items():
        for metric in ("hsr", "ssr"):
            values = " ".join(
                _pct(getattr(cells[n], metric)) if n in cells else _pct(None) for n in LEVELS
            )
            tail = ""
            if metric == "hsr":
                tail = f"  {_num(report.csl.get(category))} ({report.csl_groups.get(category, 0)})"
            weighted = _pct(report.weighted(category, metric))
            lines.append(f"{category:<10} {metric.upper():<4} {values} {weighted}{tail}")
    return lines


def format_fb_report(report: FBReport) -> list[str]:
    """Plain-text lines for the CLI: rates in %, CSL in levels, and what was not scored.

    The first block is the row CRAB's table reports (HSR L1..L5 and their mean, categories
    averaged per level); "wavg" is the official aggregator's level-weighted score.
    """
    hsr, ssr = report.level_row("hsr"), report.level_row("ssr")
    rated = [c for c, cells in report.cells.items() if any(x.scored for x in cells.values())]
    head = " ".join(f"{'L' + str(n):>6}" for n in LEVELS)
    lines = [
        f"FollowBench (categories averaged per level: {', '.join(rated) or 'none'})",
        f"{'':<15} {head} {'avg':>6} {'wavg':>6}",
        f"{'HSR':<15} "
        + " ".join(_pct(hsr[n]) for n in LEVELS)
        + f" {_pct(report.average('hsr'))} {_pct(report.weighted(None, 'hsr'))}",
        f"{'SSR':<15} "
        + " ".join(_pct(ssr[n]) for n in LEVELS)
        + f" {_pct(report.average('ssr'))} {_pct(report.weighted(None, 'ssr'))}",
        f"{'CSL':<15} {_num(_mean_csl(report))} levels (mean over categories)",
        "",
        *_category_lines(report),
        "",
    ]
    t = report.totals()
    errors = sum(1 for o in report.outcomes if (o.failure or "").startswith("model error"))
    lines.append(
        f"scored by rule: {t['rule']}, by judge: {t['judged']}, judge failures: {t['failures']}"
        f" ({t['failures'] - errors} unparseable, {errors} model errors; counted as"
        f" {report.failure_policy}), unjudged (no judge): {t['unjudged']},"
        f" missing responses: {t['missing']}"
    )
    if t["unjudged"] or t["missing"]:
        lines.append(
            "note: rates cover only the scored items; unjudged and missing items are left out,"
            " so this is not comparable with a full FollowBench score"
        )
    return lines
