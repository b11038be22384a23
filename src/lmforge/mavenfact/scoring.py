"""``lmforge mavenfact evaluate``: score a prediction file against gold labels.

Both files may be mention-level JSONL (``mention_id`` or ``id``, and ``label``), and the gold
file may also be a MAVEN-Fact document file. A prediction row whose label is missing, null or
not one of the five counts as wrong (the ``invalid`` bucket); a gold mention without a
prediction row counts as wrong too (``missing``), unless ``--missing skip`` scores only the
predicted mentions (to score a subset on purpose). A prediction for a mention the gold file
does not have is an error: the two files do not belong together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath
from lmforge.pipeline.records import check_row, iter_jsonl

from .data import document_mentions, is_document_file, load_documents
from .labels import MISSING, normalise_label
from .metrics import format_table, score_labels

__all__ = ["EvaluateConfig", "evaluate", "gold_labels", "read_predictions", "score_files"]


class _Keyed(BaseModel):
    model_config = ConfigDict(extra="allow")

    mention_id: str | int | None = None
    id: str | int | None = None

    @model_validator(mode="after")
    def _has_id(self) -> _Keyed:
        if self.mention_id in (None, "") and self.id in (None, ""):
            raise ValueError("a row needs mention_id or id")
        return self

    def key(self) -> str:
        return str(self.mention_id if self.mention_id not in (None, "") else self.id)


class GoldRow(_Keyed):
    label: str


class EvaluateConfig(BaseModel):
    """Score predicted labels against gold labels."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    predictions: JsonlPath
    """Mention-level JSONL: mention_id (or id) and label per row."""
    gold: JsonlPath
    """Mention-level JSONL with labels, or a MAVEN-Fact document file."""
    missing: Literal["wrong", "skip"] = "wrong"
    """wrong: a gold mention without a prediction counts as wrong; skip: score only the
    predicted mentions."""


def gold_labels(path: str | Path) -> dict[str, str]:
    """Gold label by mention id, from either kind of file; an unlabelled mention is an error
    (MAVEN-Fact's test file withholds its labels: it cannot be gold)."""
    if is_document_file(path):
        gold = {}
        for row in document_mentions(load_documents(path)):
            if row["label"] is None:
                raise InputError(f"mention {row['id']} has no factuality label", path=path,
                                 field="factuality")  # fmt: skip
            gold[row["id"]] = row["label"]
        return gold
    out: dict[str, str] = {}
    for line, row in iter_jsonl(path):
        checked = check_row(GoldRow, row, path=path, line=line)
        label = normalise_label(checked.label)
        if label is None:
            raise InputError(f"unknown label {checked.label!r} (expected CT+ CT- PS+ PS- Uu)",
                             path=path, line=line, field="label")  # fmt: skip
        if checked.key() in out:
            raise InputError(f"duplicate mention id {checked.key()!r}", path=path, line=line)
        out[checked.key()] = label
    return out


def read_predictions(path: str | Path) -> dict[str, Any]:
    """Predicted label by mention id (the raw value: a bad one is scored as invalid)."""
    out: dict[str, Any] = {}
    for line, row in iter_jsonl(path):
        key = check_row(_Keyed, row, path=path, line=line).key()
        if key in out:
            raise InputError(f"duplicate mention id {key!r}", path=path, line=line)
        out[key] = row.get("label")
    return out


def score_files(
    predictions: str | Path, gold: str | Path, missing: str = "wrong"
) -> dict[str, Any]:
    """The scores of a prediction file against a gold file (see :mod:`.metrics`)."""
    truth = gold_labels(gold)
    predicted = read_predictions(predictions)
    unknown = sorted(set(predicted) - set(truth))
    if unknown:
        raise InputError(f"{len(unknown)} predicted mention(s) not in the gold file: "
                         f"{unknown[:3]}", path=predictions)  # fmt: skip
    ids = [k for k in truth if missing == "wrong" or k in predicted]
    if not ids:
        raise InputError("no predicted mention is in the gold file", path=predictions)
    return score_labels([truth[k] for k in ids], [predicted.get(k, MISSING) for k in ids])


def evaluate(cfg: EvaluateConfig) -> list[str]:
    """Print ``macro_f1: 0.NNNN``, micro-F1, accuracy, the per-class table, the confusion."""
    return format_table(score_files(cfg.predictions, cfg.gold, cfg.missing))
