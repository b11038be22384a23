"""The experiment's table (paper shape: held-out perplexity, relative change vs the LM-only
baseline of the same student size under the same LR schedule), grouped by student size, and its
plot. Every row names its baseline, so a reader can check which LM-only run it is measured
against."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["summarize", "write_outputs"]


def _baselines(cfg: Any) -> dict[tuple[str, str], str]:
    """(student size, LR shape) -> the first LM-only row of that size and shape (offline rows
    first: an LM-only row ignores the teacher's logits either way)."""
    from .experiments import size_label, student_of

    found: dict[tuple[str, str], str] = {}
    lm_only = [v for v in cfg.variants if v.alpha.alpha_max == 0 and v.alpha.on == "alpha"]
    for v in sorted(lm_only, key=lambda v: v.logits != "offline"):
        found.setdefault((size_label(student_of(cfg, v)), v.lr), v.name)
    return found


def summarize(cfg: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per variant, in grid order: mean/min/max perplexity over seeds, KL to the
    teacher, and the change vs the LM-only row of the same student size and LR shape (named in
    ``baseline``)."""
    from .experiments import size_label, student_of

    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault(row["variant"], []).append(row)
    baselines = _baselines(cfg)
    out = []
    for variant in cfg.variants:
        got = by_name.get(variant.name, [])
        if not got:
            continue
        ppl = [r["eval_ppl"] for r in got]
        size = size_label(student_of(cfg, variant))
        out.append(
            {
                "variant": variant.name,
                "student": size,
                "parameters": got[0].get("parameters"),
                "lr": variant.lr,
                "logits": variant.logits,
                "seeds": len(got),
                "ppl": float(np.mean(ppl)),
                "ppl_min": float(min(ppl)),
                "ppl_max": float(max(ppl)),
                "kl_teacher": float(np.mean([r["eval_kl_teacher"] for r in got])),
                "step_ms": float(np.mean([r["step_ms"] for r in got])),
                "baseline": baselines.get((size, variant.lr)),
            }
        )
    means = {row["variant"]: row["ppl"] for row in out}
    for row in out:
        base = means.get(row["baseline"] or "")
        row["delta"] = None if base is None else (row["ppl"] - base) / base
    return out


def _groups(table: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows by student size, sizes in grid order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in table:
        groups.setdefault(row["student"], []).append(row)
    return groups


def _delta(row: dict[str, Any]) -> str:
    if row["delta"] is None or row["variant"] == row["baseline"]:
        return "-"
    return f"{100 * row['delta']:+.1f}%"


def _markdown(table: list[dict[str, Any]], teacher: dict, store: dict, cfg: Any) -> str:
    head = (
        f"Teacher: {teacher['parameters']:,} parameters, held-out perplexity "
        f"{teacher['eval_ppl']}; store {store['truncation']}, {store['kept_per_token']} kept "
        f"ids/token, {store['bytes_per_token']} B/token ({store['ratio_to_dense']}x smaller "
        f"than dense fp32). Students: {cfg.steps} steps x {cfg.batch_size} windows of "
        f"{cfg.window}; seeds {cfg.seeds}."
    )
    if "online" in teacher:
        spans = ", ".join(f"{k.split('_')[1]} {a}-{b}" for k, (a, b) in teacher["online"].items())
        head += f" Online records: teacher steps {spans}."
    parts = [head + "\n"]
    for size, rows in _groups(table).items():
        params = rows[0]["parameters"]
        shape = (
            f"{params:,} parameters, {100 * params / teacher['parameters']:.0f}% of the teacher"
            if params
            else "parameters not recorded"
        )
        parts.append(f"\n**Student {size}** ({shape})\n\n")
        parts.append(
            "| variant | logits | held-out ppl (mean) | seed range | baseline (LM only, same "
            "size and LR) | vs baseline | KL to teacher |\n"
            "| --- | --- | --- | --- | --- | --- | --- |\n"
        )
        for row in rows:
            parts.append(
                f"| {row['variant']} | {row['logits']} | {row['ppl']:.1f} "
                f"| {row['ppl_min']:.1f}-{row['ppl_max']:.1f} | {row['baseline'] or 'none'} "
                f"| {_delta(row)} | {row['kl_teacher']:.3f} |\n"
            )
    return "".join(parts)


def _plot(table: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in table if r["delta"] is not None and r["variant"] != r["baseline"]]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(rows) + 1))
    values = [100 * r["delta"] for r in rows]
    sizes = len({r["student"] for r in rows}) > 1
    labels = [f"{r['variant']} [{r['student']}]" if sizes else r["variant"] for r in rows]
    ax.barh(labels, values, color=["#2a7" if v < 0 else "#c44" for v in values])
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
