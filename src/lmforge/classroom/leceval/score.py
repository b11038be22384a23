"""LecEval: calibrating lecture-script scorers against human ratings of 2,097 slide scripts.

LecEval (Lim et al., 2025; github.com/JoylimJY/LecEval, MIT) has, per slide of 56 lecture
videos, the lecturer's transcript and three annotators' 1-5 ratings on four rubrics from
Mayer's multimedia-learning theory: Content Relevance, Expressive Clarity, Logical Structure,
Audience Engagement. A scorer is judged by Spearman's rho between its scores and the
annotators' mean, per rubric; the paper's "overall" is the mean of the four rubric rhos (its
fine-tuned model: 0.65/0.84/0.80/0.79 -> 0.77), which is what ``overall`` means here too.

This module loads the rows, computes cheap script-quality proxies (length, sentences,
engagement cues, and -- when a row has the slide's text -- lexical overlap, BLEU-4 and ROUGE-L
against it, the reference-based baselines the paper quotes), and builds the Spearman table.
The LLM rubric judge is in :mod:`lmforge.classroom.leceval.judge`.

The copied data has no slide text (the slides are PNG images, not copied), so the
slide-referenced proxies are ``None`` there and reported as not computable; rows that carry a
``slide_text`` field (a user's own deck) get them.
"""

from __future__ import annotations

import html
import inspect
import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lmforge.errors import InputError
from lmforge.evaluation.metrics import spearman
from lmforge.inputs import check_file
from lmforge.pipeline.records import iter_jsonl
from lmforge.text import count_words, split_sentences
from lmforge.text.overlap import bleu4, rouge_l, word_tokens

__all__ = [
    "PAPER_BASELINES",
    "RUBRICS",
    "LecRow",
    "SpearmanRow",
    "evaluate_leceval",
    "format_leceval",
    "load_leceval",
    "proxy_scores",
    "sample_rows",
    "spearman_table",
]

RUBRICS = ("content_relevance", "expressive_clarity", "logical_structure", "audience_engagement")
PAPER_BASELINES: dict[str, dict[str, float]] = {
    "LecEval model (paper)": {
        "content_relevance": 0.65,
        "expressive_clarity": 0.84,
        "logical_structure": 0.80,
        "audience_engagement": 0.79,
        "overall": 0.77,
    },
    "BLEU-4 (paper)": {"overall": 0.13},
    "ROUGE-L (paper)": {"overall": 0.19},
    "GPT-4V (paper)": {"overall": 0.27},
    "G-Eval (paper)": {"overall": 0.09},
}
"""Spearman vs human as quoted from the LecEval paper (spec section 2.5)."""

Score = float | Mapping[str, float] | None
"""One row's score: one number for every rubric, a number per rubric, or None (unscored)."""
Scorer = Callable[[list["LecRow"]], "Mapping[str, Sequence[Score]] | Awaitable[Any]"]


@dataclass(frozen=True)
class LecRow:
    """One rated slide script."""

    id: str
    course: str
    transcript: str
    human: dict[str, float]
    """Per rubric, the mean of the annotators' ratings."""
    ratings: dict[str, list[float]] = field(default_factory=dict)
    slide_text: str | None = None
    clipped: int = 0
    """Annotator ratings outside 1-5 that were clipped into the scale."""

    @property
    def human_overall(self) -> float:
        return sum(self.human[r] for r in RUBRICS) / len(RUBRICS)


def _ratings(row: dict[str, Any], path: Path, line: int) -> dict[str, list[float]]:
    rate = row.get("rate")
    if not isinstance(rate, dict):
        raise InputError("missing or not an object", path=path, line=line, field="rate")
    out = {}
    for rubric in RUBRICS:
        values = rate.get(rubric)
        ok = (
            isinstance(values, list)
            and values
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            and all(_finite(v) for v in values)
        )
        if not ok:
            raise InputError(
                "expected a non-empty list of finite numeric ratings", path=path, line=line,
                field=f"rate.{rubric}",
            )  # fmt: skip
        out[rubric] = [float(v) for v in values]
    return out


def _finite(value: float) -> bool:
    """A finite float (an integer too large for a float is not one)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _clip(ratings: dict[str, list[float]]) -> tuple[dict[str, list[float]], int]:
    """Ratings clipped into 1-5, and how many needed it (the data has one 6, a typo)."""
    clipped = sum(1 for v in ratings.values() for x in v if not 1 <= x <= 5)
    return {r: [min(max(x, 1.0), 5.0) for x in v] for r, v in ratings.items()}, clipped


def _files(data: Path) -> list[Path]:
    """A folder's ``*_metadata.jsonl`` (in name order), or the one file given."""
    if not data.is_dir():
        return [check_file(data, what="LecEval *_metadata.jsonl file or folder")]
    files = sorted(data.glob("*_metadata.jsonl"))
    if not files:
        raise InputError("no *_metadata.jsonl files (LecEval data)", path=data)
    return files


def load_leceval(data: str | Path) -> list[LecRow]:
    """Every row of ``<data>/*_metadata.jsonl`` (files in name order), or of the file ``data``.

    The course is the file-name prefix (``ml-1``, ``psy``, ``speaking``; another file's name
    without its extension); ``&#10;`` and other HTML entities in transcripts are unescaped. A
    row without a transcript or with a non-numeric rating raises :class:`InputError` naming
    the file, line and field; a rating outside 1-5 is clipped into the scale and counted in
    ``LecRow.clipped``.
    """
    rows: list[LecRow] = []
    for path in _files(Path(data)):
        course = path.name.removesuffix("_metadata.jsonl").removesuffix(".jsonl")
        for line, row in iter_jsonl(path):
            transcript = row.get("transcript")
            if not isinstance(transcript, str):
                raise InputError("missing or not a string", path=path, line=line,
                                 field="transcript")  # fmt: skip
            ratings, clipped = _clip(_ratings(row, path, line))
            slide_text = row.get("slide_text")
            if slide_text is not None and not isinstance(slide_text, str):
                raise InputError("not a string", path=path, line=line, field="slide_text")
            rows.append(
                LecRow(
                    id=str(row.get("id", f"{course}:{line}")),
                    course=course,
                    transcript=html.unescape(transcript),
                    human={r: sum(v) / len(v) for r, v in ratings.items()},
                    ratings=ratings,
                    slide_text=slide_text,
                    clipped=clipped,
                )
            )
    return rows


def sample_rows(rows: list[LecRow], n: int | None) -> list[LecRow]:
    """``n`` rows evenly spaced over the list (all courses represented), or all of them."""
    if n is None or n >= len(rows):
        return list(rows)
    if n <= 0:
        raise ValueError(f"limit must be positive, got {n}")
    return [rows[math.floor(i * len(rows) / n)] for i in range(n)]


# --------------------------------------------------------------------------- proxies

_CUES = re.compile(r"\b(you|your|we|our|us|let's|let us|imagine)\b", re.IGNORECASE)


def _overlap(transcript: str, slide: str) -> float:
    """Share of the slide's distinct words that the transcript says (a "Matching" proxy)."""
    slide_words = set(word_tokens(slide))
    return (
        len(slide_words & set(word_tokens(transcript))) / len(slide_words) if slide_words else 0.0
    )


def _row_proxies(row: LecRow) -> dict[str, float | None]:
    words = count_words(row.transcript)
    sentences = len(split_sentences(row.transcript)) if row.transcript.strip() else 0
    slide = row.slide_text
    return {
        "words": float(words),
        "sentences": float(sentences),
        "words_per_sentence": words / sentences if sentences else 0.0,
        "engagement_cues": (len(_CUES.findall(row.transcript)) + row.transcript.count("?"))
        / max(words, 1)
        * 100,
        "slide_overlap": _overlap(row.transcript, slide) if slide else None,
        "bleu4_vs_slide": bleu4(row.transcript, slide) if slide else None,
        "rougeL_vs_slide": rouge_l(row.transcript, slide) if slide else None,
    }


def proxy_scores(rows: list[LecRow]) -> dict[str, list[float | None]]:
    """Per proxy, one score per row (the same score stands for every rubric).

    ``engagement_cues`` = questions and second-person/inclusive words per 100 words.
    Slide-referenced proxies are None for rows without slide text.
    """
    per_row = [_row_proxies(r) for r in rows]
    names = per_row[0].keys() if per_row else ()
    return {name: [p[name] for p in per_row] for name in names}


# --------------------------------------------------------------------------- Spearman table


@dataclass(frozen=True)
class SpearmanRow:
    """One scorer's agreement with the human means."""

    name: str
    rho: dict[str, float]
    """Per rubric; NaN when fewer than two rows were scored or a side is constant."""
    overall: float
    """Mean of the four rubric rhos: the paper's "overall"."""
    score_rho: float
    """Rho between the scorer's mean over rubrics and the human mean over rubrics."""
    n: int
    """Rows with a score."""
    unscored: int
    """Rows the scorer gave no score (judge failures, no slide text)."""


def _value(score: Score, rubric: str | None) -> float | None:
    if score is None or isinstance(score, (int, float)):
        return None if score is None else float(score)
    if rubric is None:
        values = [score.get(r) for r in RUBRICS]
        return None if any(v is None for v in values) else sum(values) / len(RUBRICS)  # type: ignore[arg-type]
    return score.get(rubric)


def _rho(pairs: list[tuple[float, float]]) -> float:
    if len(pairs) < 2:
        return math.nan
    return spearman([a for a, _ in pairs], [b for _, b in pairs])


def spearman_table(rows: list[LecRow], scores: Mapping[str, Sequence[Score]]) -> list[SpearmanRow]:
    """Spearman's rho of each scorer against the annotators' means, per rubric and overall."""
    table = []
    for name, values in scores.items():
        if len(values) != len(rows):
            raise ValueError(f"scorer '{name}' gave {len(values)} scores for {len(rows)} rows")
        rho = {}
        for rubric in RUBRICS:
            pairs = [
                (v, row.human[rubric])
                for row, s in zip(rows, values, strict=True)
                if (v := _value(s, rubric)) is not None
            ]
            rho[rubric] = _rho(pairs)
        overall_pairs = [
            (v, row.human_overall)
            for row, s in zip(rows, values, strict=True)
            if (v := _value(s, None)) is not None
        ]
        table.append(
            SpearmanRow(
                name=name,
                rho=rho,
                overall=sum(rho.values()) / len(RUBRICS),
                score_rho=_rho(overall_pairs),
                n=len(overall_pairs),
                unscored=len(rows) - len(overall_pairs),
            )
        )
    return table


async def evaluate_leceval(
    rows: list[LecRow], scorer: Scorer, limit: int | None = None
) -> list[SpearmanRow]:
    """Score ``limit`` evenly spaced rows (all by default) and build the Spearman table.

    ``scorer`` maps rows to ``{name: [score per row]}``: :func:`proxy_scores`, or the judge's
    scorer from :func:`lmforge.classroom.leceval.judge.judge_scorer` (async is awaited).
    """
    chosen = sample_rows(rows, limit)
    result = scorer(chosen)
    if inspect.isawaitable(result):
        result = await result
    return spearman_table(chosen, result)


def _cell(value: float | None) -> str:
    return "    -" if value is None or math.isnan(value) else f"{value:5.2f}"


def format_leceval(table: list[SpearmanRow], *, baselines: bool = True) -> list[str]:
    """Lines for the CLI: measured rows, then the paper's quoted rows for comparison."""
    short = {"content_relevance": "CR", "expressive_clarity": "EC",
             "logical_structure": "LS", "audience_engagement": "AE"}  # fmt: skip
    head = " ".join(f"{short[r]:>5}" for r in RUBRICS)
    lines = [
        "Spearman vs human means (LecEval; overall = mean of the four rubric rhos)",
        f"{'scorer':<24} {head} {'overall':>7} {'rho(mean)':>9} {'n':>5} {'unscored':>8}",
    ]
    for row in table:
        if row.n == 0:
            lines.append(f"{row.name:<24} not computable: no row scored ({row.unscored} rows)")
            continue
        cells = " ".join(_cell(row.rho[r]) for r in RUBRICS)
        lines.append(
            f"{row.name:<24} {cells} {_cell(row.overall):>7} {_cell(row.score_rho):>9}"
            f" {row.n:>5} {row.unscored:>8}"
        )
    if baselines:
        lines.append("paper-reported (full test set):")
        for name, values in PAPER_BASELINES.items():
            cells = " ".join(_cell(values.get(r)) for r in RUBRICS)
            lines.append(f"{name:<24} {cells} {_cell(values.get('overall')):>7}")
    lines.append("rho(mean) = rho of the scorer's mean over rubrics vs the human mean over rubrics")
    return lines
