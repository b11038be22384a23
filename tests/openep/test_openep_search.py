"""Search: the date cut-off of every backend, the corpus builder, the http adapter's requests."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest

from lmforge.errors import InputError, LLMError
from lmforge.openep import (
    HttpSearch,
    HttpSearchConfig,
    LocalSearch,
    NewsItem,
    Window,
    build_corpus,
    guard_hits,
    load_corpus,
)
from lmforge.openep.data import Question
from lmforge.openep.search import NewsHit

NEWS = [
    NewsItem(date=d, title=t, text=x, topic_id=i)
    for d, t, i, x in [
        ("2024-06-20", "Riverside poll", "a", "The Green party leads the Riverside poll."),
        ("2024-07-01", "Riverside campaign", "b", "Green party rally in Riverside draws crowds."),
        ("2024-07-02", "FUTURE Riverside result", "c", "FUTURE: the Green party won Riverside."),
        ("2023-01-05", "Old election", "d", "An opposition party won the Lakeside election."),
    ]
]


def test_bm25_never_returns_news_after_the_cut_off():
    search = LocalSearch(NEWS, mode="bm25")
    window = Window(until=date(2024, 7, 1))
    hits = search.search("Green party Riverside result", window, k=10)
    assert hits and all(h.item.day <= date(2024, 7, 1) for h in hits)
    assert not any("FUTURE" in h.item.text for h in hits)
    later = search.search("Green party Riverside result", Window(until=date(2024, 7, 2)), k=1)
    assert "FUTURE" in later[0].item.text  # the same query finds it once it is published


def test_window_start_and_topic_exclusion():
    search = LocalSearch(NEWS, mode="bm25")
    hits = search.search(
        "party election Riverside", Window(until=date(2024, 7, 1), since=date(2024, 6, 25))
    )
    assert [h.item.title for h in hits] == ["Riverside campaign"]
    hits = search.search("Riverside", Window(until=date(2024, 7, 1), exclude_topic="b"), k=5)
    assert [h.item.topic_id for h in hits] == ["a"]


def test_hybrid_search_keeps_the_cut_off():
    search = LocalSearch(NEWS, mode="hybrid")
    hits = search.search("who won the vote in Riverside", Window(until=date(2024, 7, 1)), k=10)
    assert len(hits) == 3 and not any("FUTURE" in h.item.text for h in hits)


def test_guard_hits_drops_what_a_backend_let_through():
    window = Window(until=date(2024, 7, 1))
    leaked = [NewsHit(item, 1.0) for item in NEWS]
    assert [h.item.topic_id for h in guard_hits(leaked, window)] == ["a", "b", "d"]


def test_corpus_items_are_dated_at_the_horizon_and_keep_their_topic(make_question):
    rows = [make_question(1), make_question(2, answer=["Same text", "Same text"])]
    items = build_corpus([Question.model_validate(r) for r in rows])
    assert [i.date for i in items] == ["2024-07-16", "2024-07-16"]
    assert {i.topic_id for i in items} == {"riverside"}
    assert items[0].lang == "en"


def test_load_corpus_names_the_bad_row(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text(json.dumps({"date": "2024-13-01", "title": "x", "text": "y"}) + "\n")
    with pytest.raises(InputError, match="news.jsonl:1.*date"):
        load_corpus(path)


def test_http_request_building_and_client_side_cut_off():
    seen: list[httpx.Request] = []
    articles = [
        {"datePublished": "2024-06-30T10:00:00Z", "name": "Past", "description": "past news"},
        {"datePublished": "2024-07-03T10:00:00Z", "name": "Future", "description": "FUTURE"},
        {"name": "Undated", "description": "no date", "url": "u3"},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"value": articles})

    config = HttpSearchConfig(
        base_url="https://search.example/v7/news", api_key="KEY", until_param="before",
        extra_params={"mkt": "en-US"},
    )  # fmt: skip
    search = HttpSearch(config, transport=httpx.MockTransport(handler))
    hits = search.search("Riverside vote", Window(until=date(2024, 7, 1)), k=5)
    request = seen[0]
    assert request.url.host == "search.example" and request.url.path == "/v7/news"
    assert dict(request.url.params) == {
        "mkt": "en-US",
        "q": "Riverside vote",
        "count": "5",
        "before": "2024-07-01",
    }
    assert request.headers["Ocp-Apim-Subscription-Key"] == "KEY"
    assert [h.item.title for h in hits] == ["Past"] and search.undated == 1
    bearer = HttpSearch(config.model_copy(update={"key_header": "Authorization"}))
    assert (
        bearer.request("q", Window(until=date(2024, 7, 1)), 3).headers["Authorization"]
        == "Bearer KEY"
    )


def test_http_errors_are_one_error():
    config = HttpSearchConfig(base_url="https://search.example/")
    search = HttpSearch(config, transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with pytest.raises(LLMError, match="search API"):
        search.search("q", Window(until=date(2024, 7, 1)))
