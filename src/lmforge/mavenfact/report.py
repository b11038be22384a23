"""The MAVEN-Fact sections of ``lmforge report``: the paper's macro-F1 table with this run's row
on top (the headline), then the confusion matrix and the per-class P/R/F1 bars.

The confusion matrix is what a reader needs next to macro-F1: with CT+ the large majority, a
classifier can reach high accuracy by predicting CT+ everywhere, and only the off-diagonal
cells (and the ``invalid`` column of replies without a label) show where the minority classes
went.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lmforge.evaluation.references import Headline, read_scores, run_label
from lmforge.evaluation.report import Section, new_figure, report_section

from .labels import LABELS
from .references import COLUMNS, REFERENCE_ROWS, REFERENCE_SOURCE

__all__ = ["confusion_figure", "mavenfact_headline", "mavenfact_section", "per_class_figure"]


def _scores(run_dir: Path) -> dict[str, Any] | None:
    scores = read_scores(run_dir)
    if not scores or not isinstance(scores.get("per_class"), dict):
        return None
    return scores


def confusion_figure(confusion: dict[str, Any]) -> Any:
    """The confusion matrix as an annotated heatmap, rows gold, columns predicted."""
    fig = new_figure(width=6.4, height=3.8)
    ax = fig.subplots()
    matrix = confusion["matrix"]
    shares = [[v / max(sum(row), 1) for v in row] for row in matrix]
    image = ax.imshow(shares, vmin=0, vmax=1, cmap="Blues")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center",
                    color="white" if shares[i][j] > 0.6 else "black")  # fmt: skip
    ax.set_xticks(range(len(confusion["columns"])), confusion["columns"], fontsize="small")
    ax.set_yticks(range(len(confusion["labels"])), confusion["labels"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the gold row")
    return fig


def per_class_figure(per_class: dict[str, dict[str, float]]) -> Any:
    """Grouped bars of precision, recall and F1 per label."""
    fig = new_figure(width=6.4, height=3.2)
    ax = fig.subplots()
    width = 0.27
    for k, metric in enumerate(("precision", "recall", "f1")):
        values = [100 * per_class[label][metric] for label in LABELS]
        ax.bar([i + (k - 1) * width for i in range(len(LABELS))], values, width, label=metric)
    ticks = [f"{label}\n(n={per_class[label]['support']})" for label in LABELS]
    ax.set_xticks(range(len(LABELS)), ticks)
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.legend(fontsize="small", ncols=3, loc="upper right")
    return fig


def _run_row(scores: dict[str, Any], name: str, data: str | None) -> dict[str, Any]:
    row = {"model": name, "setting": "", "data": Path(data).name if data else "",
           "Macro-F1": 100 * scores["macro_f1"], "Micro-F1": 100 * scores["micro_f1"]}  # fmt: skip
    row.update({label: 100 * scores["per_class"][label]["f1"] for label in LABELS})
    return row


@report_section("mavenfact")
def mavenfact_headline(run_dir: Path, summary: dict[str, Any]) -> Headline | None:
    """Macro-F1 (%) and per-class F1, this run first, then the published rows."""
    scores = _scores(run_dir)
    if scores is None:
        return None
    data = None
    from lmforge.inputs import read_yaml

    config = run_dir / "config.yaml"
    if config.is_file():
        loaded = read_yaml(config)
        params = loaded.get("params") if isinstance(loaded, dict) else None
        data = params.get("data") if isinstance(params, dict) else None
    notes = ["The published rows are MAVEN-Fact test figures; a run on another corpus "
             "(MEANTIME) is a reference point, not a reproduction."]  # fmt: skip
    if scores.get("invalid"):
        notes.append(f"{scores['invalid']} predictions had no valid label and count as wrong.")
    if scores.get("fallback_uu"):
        notes.append(f"{scores['fallback_uu']} LLM replies had no label and were set to Uu.")
    if summary.get("missing_predictions"):
        notes.append(f"{summary['missing_predictions']} mentions had no prediction and are "
                     "not in the table.")  # fmt: skip
    return Headline(
        title="MAVEN-Fact: macro-F1 (%) over CT+, CT-, PS+, PS-, Uu, and per-class F1",
        columns=COLUMNS,
        rows=[_run_row(scores, run_label(summary, run_dir), data)],
        references=REFERENCE_ROWS,
        source=REFERENCE_SOURCE,
        notes=notes,
        text=f"{scores['n']} mentions. Macro-F1 is the unweighted mean of the five per-class "
        "F1 (sklearn average='macro'); the per-class F1 of the published rows was not available.",
    )


@report_section("mavenfact")
def mavenfact_section(run_dir: Path, summary: dict[str, Any]) -> Section | None:
    """The confusion matrix and per-class bars of the run."""
    scores = _scores(run_dir)
    if scores is None:
        return None
    table = [{"label": label, **{k: round(v, 4) if isinstance(v, float) else v
                                 for k, v in scores["per_class"][label].items()}}
             for label in LABELS]  # fmt: skip
    return Section(
        title="MAVEN-Fact: confusion matrix and per-class precision, recall, F1",
        figures=[confusion_figure(scores["confusion"]), per_class_figure(scores["per_class"])],
        table=table,
        text=f"micro-F1 {scores['micro_f1']:.4f}, accuracy {scores['accuracy']:.4f}; "
        f"{scores.get('invalid', 0)} invalid predictions.",
    )
