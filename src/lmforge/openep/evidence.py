"""Evidence plumbing shared by StkFEP and the RAG baseline: search windows, de-duplicated
searches, the last date check before text enters a prompt, and token budgets.

A question dated D may see news published on or before D only. Every search goes through
:func:`search_all` (the backend applies the window), and every article list becomes prompt
text only through :func:`prompt_articles`, which drops anything dated after D again and counts
it (``future_blocked``): a count above zero means a backend leaked, and the model still saw
nothing of the future.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from lmforge.text import count_tokens

from .search import NewsHit, NewsItem, SearchBackend, Window

__all__ = ["article", "articles_text", "prompt_articles", "search_all", "snippet"]


def article(hit: NewsHit) -> dict[str, Any]:
    """A found article as it travels in records (JSON-ready)."""
    return hit.item.model_dump(mode="json", exclude_none=True)


def snippet(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."


async def search_all(
    backend: SearchBackend, searches: Sequence[tuple[str, Window, int]]
) -> list[dict[str, Any]]:
    """The union of several searches, in order, each article once (by url, else content)."""
    found: dict[str, dict[str, Any]] = {}
    for query, window, k in searches:
        hits = await asyncio.to_thread(backend.search, query, window, k)
        for hit in hits:
            found.setdefault(hit.key, article(hit))
    return list(found.values())


def prompt_articles(
    articles: Sequence[dict[str, Any]], until: date, counts: dict[str, int]
) -> list[dict[str, Any]]:
    """``articles`` published on or before ``until``; others are dropped and counted."""
    kept = []
    for item in articles:
        if NewsItem.model_validate(item).day <= until:
            kept.append(item)
        else:
            counts["future_blocked"] = counts.get("future_blocked", 0) + 1
    return kept


def articles_text(articles: Sequence[dict[str, Any]], budget: int) -> str:
    """Numbered articles (date, title, text) within ``budget`` tokens; the last one that does
    not fit is cut at a word boundary (official: inputs truncated to 5k/4k tokens)."""
    parts: list[str] = []
    used = 0
    for n, item in enumerate(articles, start=1):
        block = f"[{n}] {item['date']} {item.get('title', '')}\n{item['text'].strip()}"
        size = count_tokens(block)
        if used + size > budget:
            words = block.split(" ")
            keep = max(0, int(len(words) * (budget - used) / max(size, 1)))
            if keep > 20:
                parts.append(" ".join(words[:keep]) + " ...")
            break
        parts.append(block)
        used += size
    return "\n\n".join(parts)


def window_back(day: date, days: int) -> date:
    return day - timedelta(days=days)
