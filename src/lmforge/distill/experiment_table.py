"""The experiment's table (paper shape: held-out perplexity, relative change vs the LM-only
baseline under the same LR schedule) and its plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["summarize", "write_outputs"]


def summarize(cfg: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per variant, in grid order: mean/min/max perplexity over seeds, KL to the
    teacher, and the change vs the LM-only row with the same LR shape."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault(row["variant"], []).append(row)
    baselines = {
        v.lr: v.name for v in cfg.variants if v.alpha.alpha_max == 0 and v.alpha.on == "alpha"
    }
    out = []
    for variant in cfg.variants:
        got = by_name.get(variant.name, [])
        if not got:
            continue
        ppl = [r["eval_ppl"] for r in got]
        out.append(
            {
                "variant": variant.name,
                "lr": variant.lr,
                "seeds": len(got),
                "ppl": float(np.mean(ppl)),
                "ppl_min": float(min(ppl)),
                "ppl_max": float(max(ppl)),
                "kl_teacher": float(np.mean([r["eval_kl_teacher"] for r in got])),
                "step_ms": float(np.mean([r["step_ms"] for r in got])),
                "baseline": baselines.get(variant.lr),
            }
        )
    means = {row["variant"]: row["ppl"] for row in out}
    for row in out:
        base = means.get(row["baseline"] or "")
        row["delta"] = None if base is None else (row["ppl"] - base) / base
    return out


def _markdown(table: list[dict[str, Any]], teacher: dict, store: dict, cfg: Any) -> str:
    head = (
        f"Teacher: {teacher['parameters']:,} parameters, held-out perplexity "
        f"{teacher['eval_ppl']}; store {store['truncation']}, {store['kept_per_token']} kept "
        f"ids/token, {store['bytes_per_token']} B/token ({store['ratio_to_dense']}x smaller "
        f"than dense fp32). Student: hidden {cfg.student.hidden}, {cfg.student.layers} layers, "
        f"{cfg.steps} steps x {cfg.batch_size} windows of {cfg.window}; seeds {cfg.seeds}.\n\n"
    )
    lines = [
        "| variant | held-out ppl (mean) | seed range | vs LM-only, same LR | KL to teacher |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in table:
        delta = (
            "-"
            if row["delta"] is None or row["variant"] == row["baseline"]
            else (f"{100 * row['delta']:+.1f}%")
        )
        lines.append(
            f"| {row['variant']} | {row['ppl']:.1f} | {row['ppl_min']:.1f}-{row['ppl_max']:.1f} "
            f"| {delta} | {row['kl_teacher']:.3f} |"
        )
    return head + "\n".join(lines) + "\n"


def _plot(table: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in table if r["delta"] is not None and r["variant"] != r["baseline"]]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1))
    values = [100 * r["delta"] for r in rows]
    ax.barh(
        [r["variant"] for r in rows], values, color=["#2a7" if v < 0 else "#c44" for v in values]
    )
    ax.axvline(0, color="black", lw=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("held-out perplexity vs LM-only with the same LR (%; lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(
    folder: Path, cfg: Any, table: list[dict], teacher: dict, store: dict, seconds: float
) -> dict[str, Any]:
    (folder / "table.md").write_text(_markdown(table, teacher, store, cfg))
    (folder / "table.json").write_text(json.dumps(table, indent=1))
    _plot(table, folder / "delta.png")
    best = min((r for r in table if r["delta"] is not None), key=lambda r: r["ppl"], default=None)
    headline = {
        "teacher_ppl": teacher["eval_ppl"],
        "variants": len(table),
        "best": best["variant"] if best else None,
        "best_ppl": round(best["ppl"], 2) if best else None,
        "seconds": round(seconds, 1),
    }
    return {
        "headline": headline,
        "table": table,
        "teacher": teacher,
        "bytes_per_token": store["bytes_per_token"],
    }
