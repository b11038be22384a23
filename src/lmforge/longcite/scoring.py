"""LongBench-Cite arithmetic (official ``auto_scorer.py``, ``eval_cite.py``, ``eval_correct.py``,
``cnt_citation_len.py``; spec B8): verdict words to numbers, per-instance recall, precision and
F1, the per-dataset means with MultiFieldQA pooled, the 5-entry averages, correctness scales,
the correctness ratio, and citation length.

Judge failures are data, not gaps. The official scorer raises on an instance whose verdict never
parses and leaves it out of the means; here a verdict that never parses is ``None``, counted
(``unparsed``), and by default scored as the worst verdict (``failures="zero"``), so a table
cannot get better by its judge failing; ``failures="drop"`` is the official behaviour (the
instance leaves the means, counted in ``dropped``). An unparsable correctness rating is 0.5,
as officially, and counted too.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from lmforge.errors import ParseError
from lmforge.text import count_tokens

__all__ = [
    "AVERAGED",
    "DATASETS",
    "ENTRIES",
    "FailurePolicy",
    "aggregate",
    "citation_f1",
    "citation_tokens",
    "correctness_ratio",
    "correctness_score",
    "dataset_rows",
    "instance_scores",
    "mean",
    "need_value",
    "read_rating",
    "read_verdict",
    "relevance_value",
    "support_value",
]

FailurePolicy = Literal["zero", "drop"]
DATASETS = (
    "longbench-chat",
    "multifieldqa_en",
    "multifieldqa_zh",
    "hotpotqa",
    "dureader",
    "gov_report",
)
"""The six source datasets of LongBench-Cite.json."""
ENTRIES = (
    "longbench-chat",
    "multifieldqa_en",
    "multifieldqa_zh",
    "multifieldqa",
    "hotpotqa",
    "dureader",
    "gov_report",
)
"""The rows of the official result object (``multifieldqa`` pools en and zh)."""
AVERAGED = ("longbench-chat", "multifieldqa", "hotpotqa", "dureader", "gov_report")
"""The 5 entries the benchmark averages (en/zh are shown, not averaged)."""
QA_DATASETS = ("multifieldqa_en", "multifieldqa_zh", "hotpotqa", "dureader")

_VERDICT = re.compile(r"\[\[([ /a-zA-Z]+)\]\]")
_RATING = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def mean(values: Iterable[float]) -> float | None:
    """Mean from the exactly rounded sum (``math.fsum``), so the figure does not depend on the
    order of the instances; None for no values (the official ``np.mean`` gives nan)."""
    values = list(values)
    return math.fsum(values) / len(values) if values else None


def _json_field(text: str, key: str) -> Any:
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        return None
    try:
        obj = json.loads(text[start : end + 1])
    except ValueError:
        return None
    return obj.get(key) if isinstance(obj, dict) else None


def read_verdict(text: str) -> str:
    """The verdict words of a judge reply: ``{"verdict": ...}`` (structured) or the first
    ``[[words]]`` (official regex); raises ParseError when there is none."""
    value = _json_field(text, "verdict")
    if isinstance(value, str) and value.strip():
        return value.strip()
    match = _VERDICT.search(text)
    if match is None:
        raise ParseError("no [[verdict]] found", text)
    return match.group(1)


def need_value(verdict: str) -> int:
    """Need-citation: 1 when "yes" is in the verdict (case-insensitive), else 0."""
    return 1 if "yes" in verdict.lower() else 0


def support_value(verdict: str) -> float:
    """Support: "fully" -> 1, "partially" -> 0.5, anything else -> 0."""
    low = verdict.lower()
    return 1.0 if "fully" in low else 0.5 if "partially" in low else 0.0


def relevance_value(verdict: str) -> int:
    """Relevance: "unrelevant" -> 0, anything else -> 1."""
    return 0 if "unrelevant" in verdict.lower() else 1


def read_rating(text: str) -> float:
    """A correctness rating: ``{"rating": n}``, else the first number inside the *last*
    ``[[...]]`` (official); raises ParseError when there is none."""
    value = _json_field(text, "rating")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    found = _RATING.findall(text)
    number = _NUMBER.search(found[-1]) if found else None
    if number is None:
        raise ParseError("no [[rating]] found", text)
    return float(number.group())


def correctness_score(dataset: str, rating: float | None) -> float:
    """Official scales: QA (r-1)/2 on 1-3, GovReport (r-1)/4 on 1-5, LongBench-Chat r/10 on
    1-10; an unparsable rating (None) is 0.5."""
    if rating is None:
        return 0.5
    if dataset in QA_DATASETS:
        return (rating - 1) / 2
    if dataset == "gov_report":
        return (rating - 1) / 4
    if dataset == "longbench-chat":
        return rating / 10
    raise ValueError(f"no correctness scale for dataset {dataset!r}")


def citation_f1(recall: float, precision: float) -> float:
    """2PR/(P+R), 0 when P+R is 0 (per instance)."""
    return 0.0 if recall + precision == 0 else 2 * precision * recall / (precision + recall)


def instance_scores(
    recall_items: Sequence[float | None],
    precision_items: Sequence[float | None],
    *,
    failures: FailurePolicy = "zero",
) -> dict[str, Any]:
    """Recall (mean over statements), precision (mean over citations), F1 of one instance.

    ``None`` items are verdicts that never parsed: counted in ``unparsed``, then worth 0
    (``"zero"``) or the instance is ``dropped`` (``"drop"``, official)."""
    unparsed = sum(v is None for v in [*recall_items, *precision_items])
    out: dict[str, Any] = {"unparsed": unparsed, "dropped": bool(unparsed and failures == "drop")}
    if out["dropped"]:
        return {**out, "citation_recall": None, "citation_precision": None, "citation_f1": None}
    recall = mean(v or 0.0 for v in recall_items) or 0.0
    precision = mean(v or 0.0 for v in precision_items) or 0.0
    return {
        **out,
        "citation_recall": recall,
        "citation_precision": precision,
        "citation_f1": citation_f1(recall, precision),
    }


def citation_tokens(cite: str, tokenizer: Any = None) -> int:
    """Tokens of one cited text. The official count uses GLM-4-9B-chat's tokenizer, which
    cannot be fetched offline; without ``tokenizer`` this is lmforge's APPROXIMATE count
    (one token per CJK character, per run of other word characters, per symbol)."""
    return count_tokens(cite, tokenizer)


def dataset_rows(rows: list[dict[str, Any]], entry: str) -> list[dict[str, Any]]:
    """Rows of one result entry by the official substring rule (``multifieldqa`` pools both)."""
    return [r for r in rows if entry in str(r.get("dataset", ""))]


_CITE_KEYS = ("citation_recall", "citation_precision", "citation_f1")


def _entry(rows: list[dict[str, Any]]) -> dict[str, Any]:
    scores = [r["score"] for r in rows]
    kept = [s for s in scores if not s.get("dropped")]
    out: dict[str, Any] = {"n": len(rows)}
    for key in _CITE_KEYS:
        out[key] = mean(s[key] for s in kept if s.get(key) is not None)
    out["correctness"] = mean(s["correctness"] for s in scores if s.get("correctness") is not None)
    n_cites = sum(s.get("n_citations", 0) for s in scores)
    out["citation_length"] = (
        sum(s.get("cite_tokens", 0) for s in scores) / n_cites if n_cites else None
    )
    out["n_statements"] = sum(s.get("n_statements", 0) for s in scores)
    out["n_citations"] = n_cites
    out["dropped"] = sum(bool(s.get("dropped")) for s in scores)
    out["unparsed"] = sum(s.get("unparsed", 0) for s in scores)
    out["correctness_unparsed"] = sum(s.get("correctness_unparsed", 0) for s in scores)
    return out


def correctness_ratio(cited: float | None, plain: float | None) -> float | None:
    """CR = correctness with citations / correctness of the same model in plain QA."""
    return None if cited is None or not plain else cited / plain


def aggregate(
    rows: list[dict[str, Any]], *, plain_correctness: float | None = None
) -> dict[str, Any]:
    """The official result object: per entry (``ENTRIES``) R, P, F1 means over instances,
    correctness, citation length (tokens per citation, pooled), and the means over the 5
    ``AVERAGED`` entries present; counts of dropped instances and unparsed verdicts."""
    scored = [r for r in rows if isinstance(r.get("score"), dict)]
    scores = {e: _entry(dataset_rows(scored, e)) for e in ENTRIES}
    scores = {e: s for e, s in scores.items() if s["n"]}
    present = [e for e in AVERAGED if e in scores]
    out: dict[str, Any] = {"n": len(scored)}
    for key in (*_CITE_KEYS, "correctness"):
        out[key] = mean(v for e in present if (v := scores[e][key]) is not None)
    out["correctness_ratio"] = correctness_ratio(out["correctness"], plain_correctness)
    whole = _entry(scored) if scored else {}
    for key in ("citation_length", "n_statements", "n_citations", "dropped", "unparsed"):
        out[key] = whole.get(key)
    out["correctness_unparsed"] = whole.get("correctness_unparsed")
    out["missing_entries"] = [e for e in AVERAGED if e not in scores]
    out["scores"] = scores
    return out
