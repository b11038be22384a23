"""Published MAVEN-Fact figures, the rows a run's report shows under its own (spec 2.6).

The paper's own tables could not be retrieved; these come from a third-party summary
(papers.lunadong.com) of Li et al., "MAVEN-Fact" (EMNLP Findings 2024), macro-F1 (%) on the
MAVEN-Fact test set. How each figure maps to a paper setting is the spec's reading, marked
[unverified] there, and per-class F1 was not published in what could be read. They are
reference points: a MEANTIME run here is a different corpus (news, not Wikipedia; a label
mapping of lmforge's own) and is not comparable number for number.
"""

from __future__ import annotations

from typing import Any

__all__ = ["COLUMNS", "REFERENCE_ROWS", "REFERENCE_SOURCE"]

COLUMNS = ["model", "setting", "data", "Macro-F1", "Micro-F1", "CT+", "CT-", "PS+", "PS-", "Uu"]
"""Macro-F1 and micro-F1 (%), then the per-class F1 (%)."""
REFERENCE_SOURCE = (
    "MAVEN-Fact (Li et al., EMNLP Findings 2024) via the papers.lunadong.com summary; "
    "setting names are the spec's reading [unverified]"
)


def _row(model: str, setting: str, macro: float) -> dict[str, Any]:
    return {"model": model, "setting": setting, "data": "MAVEN-Fact test", "Macro-F1": macro}


REFERENCE_ROWS: list[dict[str, Any]] = [
    _row("best fine-tuned (DMRoBERTa or GenEFD)", "+ arguments + relations", 47.6),
    _row("best fine-tuned (DMRoBERTa or GenEFD)", "sentence only", 46.1),
    _row("GPT-4", "5-shot ICL, best prompting variant", 42.8),
    _row("GPT-4", "5-shot ICL", 40.2),
]
