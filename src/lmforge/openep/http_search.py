"""``http``: a web news search API the user configures (base URL + key), off by default.

The official code searched the Bing News/Web API. Any JSON search API of that shape fits:
``GET {base_url}?{query_param}=...&{count_param}=k`` with the key in a header, answering a
JSON object whose ``results_field`` holds a list of articles. The field names of an article
(date, title, text, url) are settings, so Bing-like (``value`` / ``datePublished`` / ``name``
/ ``description``) and other APIs both work without code.

The date cut-off is applied here to every article, whatever the API did with the date
parameters it was sent: an article whose date cannot be read is dropped (nothing shows it was
published before the question), and counted in ``undated``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lmforge.errors import ConfigError, LLMError

from .search import NewsHit, NewsItem, Window, guard_hits

__all__ = ["HttpSearch", "HttpSearchConfig"]

_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")


class HttpSearchConfig(BaseModel):
    """Where and how to call a web search API (every field has a Bing-News-like default)."""

    model_config = ConfigDict(use_attribute_docstrings=True)
    base_url: str | None = None
    """Search endpoint, e.g. https://api.bing.microsoft.com/v7.0/news/search (None: off)."""
    api_key: str | None = None
    """The key sent in ``key_header`` (read from LMFORGE_SEARCH_KEY when not given)."""
    key_header: str = "Ocp-Apim-Subscription-Key"
    """Header that carries the key (``Authorization`` sends ``Bearer KEY``)."""
    query_param: str = "q"
    count_param: str = "count"
    since_param: str | None = None
    """Parameter for the window's first day (YYYY-MM-DD), if the API takes one."""
    until_param: str | None = None
    """Parameter for the cut-off day (YYYY-MM-DD), if the API takes one."""
    extra_params: dict[str, str] = Field(default_factory=dict)
    """Fixed parameters sent with every query (``mkt: en-US``)."""
    results_field: str = "value"
    date_field: str = "datePublished"
    title_field: str = "name"
    text_field: str = "description"
    url_field: str = "url"
    timeout: float = Field(20.0, gt=0)


class HttpSearch:
    """A configured web search API as a :class:`~lmforge.openep.search.SearchBackend`."""

    name = "http"

    def __init__(self, config: HttpSearchConfig, *, transport: Any = None) -> None:
        import os

        import httpx

        if not config.base_url:
            raise ConfigError("http search needs search.base_url (it is off by default)")
        self.config = config
        self.key = config.api_key or os.environ.get("LMFORGE_SEARCH_KEY")
        self.undated = 0
        self.client = httpx.Client(timeout=config.timeout, transport=transport)

    def request(self, query: str, window: Window, k: int) -> Any:
        """The ``httpx.Request`` one search sends (built, not sent: tests check it)."""
        cfg = self.config
        params: dict[str, Any] = {**cfg.extra_params, cfg.query_param: query, cfg.count_param: k}
        if cfg.since_param and window.since is not None:
            params[cfg.since_param] = window.since.isoformat()
        if cfg.until_param:
            params[cfg.until_param] = window.until.isoformat()
        headers = {}
        if self.key:
            bearer = cfg.key_header.lower() == "authorization"
            headers[cfg.key_header] = f"Bearer {self.key}" if bearer else self.key
        return self.client.build_request("GET", cfg.base_url, params=params, headers=headers)

    def _item(self, article: Any) -> NewsItem | None:
        cfg = self.config
        if not isinstance(article, dict):
            return None
        found = _DAY.search(str(article.get(cfg.date_field) or ""))
        text = str(article.get(cfg.text_field) or "").strip()
        if found is None or not text:
            self.undated += found is None
            return None
        try:
            day = date.fromisoformat(found.group(1))
        except ValueError:
            self.undated += 1
            return None
        return NewsItem(
            date=day.isoformat(),
            title=str(article.get(cfg.title_field) or ""),
            text=text,
            url=str(article.get(cfg.url_field) or ""),
        )

    def search(self, query: str, window: Window, k: int = 5) -> list[NewsHit]:
        import httpx

        try:
            reply = self.client.send(self.request(query, window, k))
            reply.raise_for_status()
            body = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise LLMError(f"search API: {type(exc).__name__}: {exc}") from exc
        articles = body.get(self.config.results_field, []) if isinstance(body, dict) else []
        items = [item for item in map(self._item, articles) if item is not None]
        hits = [NewsHit(item, float(len(items) - rank)) for rank, item in enumerate(items)]
        return guard_hits(hits, window)[:k]

    def close(self) -> None:
        self.client.close()
