"""The LecEval headline of ``lmforge report``: Spearman of each scorer against the human
ratings per rubric, the paper's quoted rows under it (``score.PAPER_BASELINES``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lmforge.evaluation.references import Headline, read_scores
from lmforge.evaluation.report import report_section

__all__ = ["leceval_headline"]

SHORT = {
    "content_relevance": "CR",
    "expressive_clarity": "EC",
    "logical_structure": "LS",
    "audience_engagement": "AE",
}
SOURCE = (
    "LecEval (Lim et al., 2025): Spearman vs human of its fine-tuned MiniCPM-Llama3-V2.5 "
    "scorer per rubric, and the overall of the baselines it quotes (full test set)"
)


@report_section("leceval")
def leceval_headline(run_dir: Path, summary: dict[str, Any]) -> Headline | None:
    """Per scorer: rho per rubric, the overall (mean of the four) and rho of the means."""
    from .score import PAPER_BASELINES, RUBRICS  # the scorers' module, only for a LecEval run

    scores = read_scores(run_dir)
    if scores is None or not isinstance(scores.get("table"), list):
        return None
    rows = [
        {
            "scorer": f"this run: {t['name']}",
            **{SHORT[r]: (t.get("rho") or {}).get(r) for r in RUBRICS},
            "overall": t.get("overall"),
            "rho(mean)": t.get("score_rho"),
            "n": t.get("n"),
        }
        for t in scores["table"]
    ]
    references = [
        {"scorer": name, **{SHORT[r]: v.get(r) for r in RUBRICS}, "overall": v.get("overall")}
        for name, v in PAPER_BASELINES.items()
    ]
    notes = []
    if any(not t.get("n") for t in scores["table"]):
        notes.append("A scorer scored no row: its figures are not computable.")
    return Headline(
        title="LecEval: Spearman rho against the human ratings, per rubric",
        columns=["scorer", *SHORT.values(), "overall", "rho(mean)", "n"],
        rows=rows,
        references=references,
        source=SOURCE,
        notes=notes,
        digits=2,
        text=(
            f"{scores.get('n', 0)} slide scripts. CR content relevance, EC expressive clarity, "
            "LS logical structure, AE audience engagement; overall = the mean of the four rubric "
            "rhos, as the paper reports it; rho(mean): the scorer's mean over rubrics against the "
            "human mean."
        ),
    )
