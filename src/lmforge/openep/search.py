"""News search behind one interface, with a date cut-off that no backend can skip.

Every backend answers ``search(query, window) -> list[NewsHit]``. ``window`` carries the
question's cut-off (``until``: nothing published after it), an optional start (``since``) and
the topic to leave out. :func:`within` is the one check of that window; each backend applies
it to what it found, and :func:`guard_hits` applies it again where hits become prompt text,
so a backend with a bug (or a web API that ignores its date parameter) still cannot show the
model the future.

``local`` (:class:`LocalSearch`): a dated news corpus (JSONL rows ``date``, ``title``,
``text``, ``url``, ``lang``) indexed with BM25 and the embedded MiniLM, fused by reciprocal
rank. ``http`` (:mod:`lmforge.openep.http_search`): a web search API the user configures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lmforge.errors import InputError
from lmforge.pipeline.records import check_row, iter_jsonl

from .data import parse_day

__all__ = [
    "LocalSearch",
    "NewsHit",
    "NewsItem",
    "SearchBackend",
    "Window",
    "guard_hits",
    "load_corpus",
    "within",
]

Mode = Literal["hybrid", "bm25", "dense"]
RRF_K = 60
"""Reciprocal-rank-fusion constant (Cormack et al. 2009): rank r scores 1 / (60 + r)."""


class NewsItem(BaseModel):
    """One dated news article of a local corpus."""

    model_config = ConfigDict(extra="allow")
    date: str
    """Publication day, ``YYYY-MM-DD``: the cut-off compares it with the question date."""
    title: str
    text: str = Field(min_length=1)
    url: str = ""
    lang: str = ""
    topic_id: str | None = None
    """The OpenEPBench topic the item came from (corpus builder), to keep it from its own topic."""

    @field_validator("date")
    @classmethod
    def _day(cls, value: str) -> str:
        return parse_day(value).isoformat()

    @property
    def day(self) -> date:
        return date.fromisoformat(self.date)


@dataclass(frozen=True)
class Window:
    """What a search may return: published in [since, until], not of topic ``exclude_topic``."""

    until: date
    since: date | None = None
    exclude_topic: str | None = None


@dataclass(frozen=True)
class NewsHit:
    """A found article and its score (higher is better; comparable within one search)."""

    item: NewsItem
    score: float

    @property
    def key(self) -> str:
        return self.item.url or f"{self.item.date}|{self.item.title}|{self.item.text[:80]}"


class SearchBackend(Protocol):
    """Anything that finds dated news for a query inside a window, best first."""

    name: str

    def search(self, query: str, window: Window, k: int = 5) -> list[NewsHit]: ...


def within(item: NewsItem, window: Window) -> bool:
    """The one date-and-topic check: published on or before ``until`` (and on or after
    ``since``), and not an item of the excluded topic."""
    day = item.day
    if day > window.until or (window.since is not None and day < window.since):
        return False
    return window.exclude_topic is None or item.topic_id != window.exclude_topic


def guard_hits(hits: Sequence[NewsHit], window: Window) -> list[NewsHit]:
    """``hits`` inside ``window``: the check made again where hits enter a prompt."""
    return [hit for hit in hits if within(hit.item, window)]


def load_corpus(path: str | Path) -> list[NewsItem]:
    """A news corpus JSONL, every row checked (file:line and field on a bad row)."""
    items = [check_row(NewsItem, row, path=path, line=line) for line, row in iter_jsonl(path)]
    if not items:
        raise InputError("the corpus holds no news", path=path)
    return items


def _ranks(scores: np.ndarray, allowed: np.ndarray, depth: int) -> dict[int, int]:
    """Rank (0-based) of the ``depth`` best allowed positions (ties: the earlier item first).

    ``argpartition`` picks the candidates in linear time; only they are sorted."""
    masked = np.where(allowed, scores, -np.inf)
    if depth < len(masked):
        top = np.argpartition(-masked, depth)[:depth]
        top = top[np.lexsort((top, -masked[top]))]
    else:
        top = np.argsort(-masked, kind="stable")
    return {int(i): r for r, i in enumerate(top) if np.isfinite(masked[i])}


class LocalSearch:
    """BM25 + dense search over a dated corpus (``mode``: hybrid, bm25 or dense).

    The indexes score the whole corpus; items outside the window are masked out *before*
    ranking, so the k best hits inside the window are returned (not the k best overall,
    filtered afterwards, which would return fewer). Hybrid fuses the two rankings with
    reciprocal rank fusion, which needs no score calibration between BM25 and cosine.
    """

    name = "local"

    def __init__(
        self, items: Sequence[NewsItem], *, mode: Mode = "hybrid", embedder: Any = None
    ) -> None:
        from lmforge.text import BM25Index, DenseIndex

        self.items = list(items)
        self.mode = mode
        texts = [f"{item.title}\n{item.text}" for item in self.items]
        self.days = np.array([item.day.toordinal() for item in self.items], dtype=np.int64)
        self.topics = np.array([item.topic_id or "" for item in self.items], dtype=object)
        self.bm25 = BM25Index(texts) if mode in ("hybrid", "bm25") else None
        self.dense = DenseIndex(texts, embedder) if mode in ("hybrid", "dense") else None

    def __len__(self) -> int:
        return len(self.items)

    def allowed(self, window: Window) -> np.ndarray:
        ok = self.days <= window.until.toordinal()
        if window.since is not None:
            ok &= self.days >= window.since.toordinal()
        if window.exclude_topic is not None:
            ok &= self.topics != window.exclude_topic
        return ok

    def search(self, query: str, window: Window, k: int = 5) -> list[NewsHit]:
        allowed = self.allowed(window)
        if not self.items or k <= 0 or not allowed.any():
            return []
        depth = max(k * 4, 20)
        fused: dict[int, float] = {}
        for index in (self.bm25, self.dense):
            if index is None:
                continue
            scores = np.asarray(index.scores(query), dtype=np.float64)
            usable = allowed & (scores > 0) if index is self.bm25 else allowed
            if index is self.bm25 and self.dense is None:
                ranked = _ranks(scores, usable, k)
                return guard_hits(
                    [NewsHit(self.items[i], float(scores[i])) for i in ranked], window
                )
            for i, rank in _ranks(scores, usable, depth).items():
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return self._hits(best, allowed)

    def _hits(self, ranked: list[tuple[int, float]], allowed: np.ndarray) -> list[NewsHit]:
        """The hits, each checked once more against the window's mask (the ranking masked
        the scores; this keeps a bug there from returning an item outside the window)."""
        return [NewsHit(self.items[i], score) for i, score in ranked if allowed[i]]
