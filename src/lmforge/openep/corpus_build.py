"""A dated news corpus made from OpenEPBench itself, so retrieval runs offline on real text.

Each outcome text (an ``answer`` entry: a news paragraph written after the question date)
becomes a news item dated at the end of its question's 15-day horizon (``date_question`` + 15
days, the last day of the evaluation's period_3). A question dated D therefore sees only the
outcomes of questions whose horizon closed by D, and every item carries its ``topic_id`` so a
question never sees the outcomes of its own topic (that would be the answer itself).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from lmforge.inputs import JsonlPath
from lmforge.pipeline.records import write_jsonl
from lmforge.pipeline.rundir import check_output_file, cleaned

from .data import Question, load_questions, question_lang
from .search import NewsItem

__all__ = ["HORIZON_DAYS", "CorpusConfig", "build_corpus", "corpus"]

HORIZON_DAYS = 15
"""The prediction horizon of OpenEPBench: outcomes happen within 15 days of the question."""


class CorpusConfig(BaseModel):
    """Turn OpenEPBench questions into a dated news corpus."""

    model_config = ConfigDict(use_attribute_docstrings=True)
    source: JsonlPath
    """Questions with ``answer`` texts (OpenEPBench ``en_valid_data.jsonl``, ``cn_...``)."""
    output: Path
    """Where the news corpus JSONL goes (rows: date, title, text, url, lang, topic_id)."""
    backgrounds: bool = False
    """Also add each topic's original background (``ori_background``) dated at its question
    date: the news of that day, so known then. Without it a question dated D sees only
    outcomes of questions asked by D - 15 days (none for the English set, dated 07-01..07-10)."""


def _background_item(q: Question) -> NewsItem:
    return NewsItem(
        date=q.date_question,
        title=q.hot_topic.topic,
        text=q.hot_topic.ori_background.strip(),
        url=q.hot_topic.url,
        lang=question_lang(q),
        topic_id=q.topic_key,
        source_id=f"{q.id}:background",
    )


def build_corpus(questions: list[Question], *, backgrounds: bool = False) -> list[NewsItem]:
    """One item per distinct (topic, outcome text), in question order; with ``backgrounds``
    also one per topic background (at the earliest question date of the topic)."""
    items: list[NewsItem] = []
    seen: set[tuple[str, str]] = set()
    for q in sorted(questions, key=lambda q: q.day) if backgrounds else []:
        body = q.hot_topic.ori_background.strip()
        if body and (q.topic_key, body) not in seen:
            seen.add((q.topic_key, body))
            items.append(_background_item(q))
    for q in questions:
        day = q.day + timedelta(days=HORIZON_DAYS)
        for number, text in enumerate(q.answer or []):
            body = text.strip()
            if not body or (q.topic_key, body) in seen:
                continue
            seen.add((q.topic_key, body))
            items.append(
                NewsItem(
                    date=day.isoformat(),
                    title=q.hot_topic.topic,
                    text=body,
                    url=q.hot_topic.url,
                    lang=question_lang(q),
                    topic_id=q.topic_key,
                    source_id=f"{q.id}:{number}",
                )
            )
    return items


def corpus(config: CorpusConfig) -> dict[str, int | str]:
    """Write the corpus of ``--from`` questions to ``--output``; returns the counts."""
    check_output_file(config.output)
    questions = load_questions(config.source, require_answer=True)
    items = build_corpus(questions, backgrounds=config.backgrounds)
    with cleaned(config.output):
        write_jsonl(config.output, [item.model_dump(mode="json") for item in items])
    return {"questions": len(questions), "news": len(items), "output": str(config.output)}
