"""Only finished answers reach the caller and the cache (httpx.MockTransport, a fake clock).

A reply is finished when the server said why it stopped: ``finish_reason`` in a body, a final
chunk with one and/or ``data: [DONE]`` in a stream. Everything else (an empty stream, a clean
cut mid-text, a dropped connection, null content) is a ``MalformedResponseError``: retried,
bounded, and never stored.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from lmforge.errors import MalformedResponseError
from lmforge.llm.base import LLM
from lmforge.llm.cache import CachedLLM, CallCache, cache_key, finished
from lmforge.llm.openai_compat import OpenAICompatLLM
from lmforge.llm.retry import RetryPolicy
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import Completion, GenerateConfig, Message

BASE = "http://test.local/v1"
PROMPT = "Say hello"


def body(content: Any = "hello", finish: Any = "stop", tokens: int = 2) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": content}}
    if finish is not ...:
        choice["finish_reason"] = finish
    usage = {"prompt_tokens": 3, "completion_tokens": tokens}
    return {"model": "served", "choices": [choice], "usage": usage}


def events(
    *pieces: str, finish: str | None = "stop", tokens: int | None = 2, done: bool = True
) -> list[str]:
    """A chat.completion.chunk stream as llama.cpp sends it: role chunk with null content,
    one chunk per piece, the finish chunk, the usage chunk, [DONE] (each optional)."""
    out = [{"choices": [{"index": 0, "delta": {"role": "assistant", "content": None}}]}]
    out += [{"choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]
    if finish is not None:
        out.append({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if tokens is not None:
        out.append({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": tokens}})
    return [json.dumps(e) for e in out] + (["[DONE]"] if done else [])


def sse(items: list[str]) -> bytes:
    return "".join(f"data: {e}\n\n" for e in items).encode()


async def dropping(data: bytes) -> AsyncIterator[bytes]:
    """A body that stops mid-way with a reset connection."""
    yield data
    raise httpx.ReadError("connection reset by peer")


Step = httpx.Response | Exception | Callable[[], httpx.Response]


class Server:
    """Answers with the scripted steps in turn; the last one repeats."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step() if callable(step) else step


def json_reply(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=data)


def stream_reply(items: list[str]) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(200, content=sse(items))


def dropped_reply(items: list[str]) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(200, content=dropping(sse(items)))


class Clock:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def make(server: Server, tmp_path) -> tuple[CachedLLM, OpenAICompatLLM, CallCache, Clock]:
    clock = Clock()
    retry = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=0.0, sleep=clock.sleep)
    inner = OpenAICompatLLM(
        "m", BASE, api_key="", transport=httpx.MockTransport(server), retry=retry
    )
    cache = CallCache(tmp_path / "calls.sqlite")
    return CachedLLM(inner, cache), inner, cache, clock


def stored(cache: CallCache, llm: LLM, config: GenerateConfig = GenerateConfig()):
    return cache.get(cache_key(llm.spec, [Message(role="user", content=PROMPT)], config))


async def collect(llm: LLM, config: GenerateConfig | None = None) -> str:
    return "".join([p async for p in llm.stream(PROMPT, config)])


# -- non-stream replies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (body(finish=...), "no finish_reason"),
        (body(finish=None), "no finish_reason"),
        (body(content=None), "null"),
        (body(content="", finish="length", tokens=0), "empty completion"),
        (body(content="", finish="stop", tokens=7), "empty completion"),
        (body(content=["a"]), "not a string"),
    ],
    ids=["no-finish", "null-finish", "null-content", "empty-length", "empty-with-tokens", "list"],
)
async def test_unfinished_body_is_retried_bounded_and_never_cached(reply, match, tmp_path):
    server = Server(json_reply(reply))
    llm, _, cache, clock = make(server, tmp_path)
    with pytest.raises(MalformedResponseError, match=match):
        await llm.generate(PROMPT, GenerateConfig(max_retries=2))
    assert len(server.requests) == 3 and clock.sleeps == [1.0, 2.0]
    assert cache.stats().entries == 0


async def test_unfinished_then_finished_body_caches_only_the_finished_one(tmp_path):
    server = Server(json_reply(body(finish=None)), json_reply(body("full answer")))
    llm, _, cache, _ = make(server, tmp_path)
    first = await llm.generate(PROMPT)
    assert (first.text, first.finish_reason, first.retries) == ("full answer", "stop", 1)
    again = await llm.generate(PROMPT)
    assert again.cached and again.text == "full answer" and len(server.requests) == 2


async def test_body_cut_off_mid_way_is_malformed(tmp_path):
    raw = json.dumps(body("a long answer")).encode()
    server = Server(lambda: httpx.Response(200, content=dropping(raw[: len(raw) // 2])))
    llm, _, cache, _ = make(server, tmp_path)
    with pytest.raises(MalformedResponseError, match="cut off"):
        await llm.generate(PROMPT, GenerateConfig(max_retries=1))
    assert len(server.requests) == 2 and cache.stats().entries == 0


async def test_an_immediate_stop_is_an_empty_answer_but_not_stored(tmp_path):
    # llama.cpp: a stop string that matches first gives "" with finish stop and one token
    server = Server(json_reply(body(content="", finish="stop", tokens=1)))
    llm, _, cache, _ = make(server, tmp_path)
    assert (await llm.generate(PROMPT)).text == ""
    assert (await llm.generate(PROMPT)).text == ""
    assert len(server.requests) == 2 and cache.stats().entries == 0


# -- streams -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (lambda: httpx.Response(200, content=b""), "empty stream"),
        (stream_reply(["[DONE]"]), "empty stream"),
        (stream_reply(events("Hel", "lo", finish=None, tokens=None, done=False)), "cut after 5"),
        (dropped_reply(events("Hel", "lo", finish=None, tokens=None, done=False)), "cut off"),
        (stream_reply(events(finish="length", tokens=8)), "empty streamed completion"),
    ],
    ids=["no-bytes", "done-only", "clean-cut", "reset", "null-content"],
)
async def test_broken_stream_fails_after_bounded_retries_and_is_not_cached(reply, match, tmp_path):
    server = Server(reply)
    llm, _, cache, clock = make(server, tmp_path)
    with pytest.raises(MalformedResponseError, match=match):
        await collect(llm, GenerateConfig(max_retries=3))
    assert len(server.requests) == 4 and clock.sleeps == [1.0, 2.0, 4.0]
    assert cache.stats().entries == 0
    with pytest.raises(MalformedResponseError):
        await collect(llm, GenerateConfig(max_retries=0))
    assert len(server.requests) == 5  # nothing cached: the next call asks the server again


@pytest.mark.parametrize("fault", ["clean-cut", "reset"])
async def test_cut_stream_resumes_on_retry_without_repeating_text(fault, tmp_path):
    cut = events("Hel", "lo ", finish=None, tokens=None, done=False)
    first = stream_reply(cut) if fault == "clean-cut" else dropped_reply(cut)
    server = Server(first, stream_reply(events("Hel", "lo ", "world", tokens=3)))
    llm, _, cache, clock = make(server, tmp_path)
    pieces = [p async for p in llm.stream(PROMPT)]
    assert pieces == ["Hel", "lo ", "world"] and clock.sleeps == [1.0]
    entry = stored(cache, llm)
    assert (entry.text, entry.finish_reason, entry.usage.completion_tokens) == (
        "Hello world",
        "stop",
        3,
    )
    assert await collect(llm) == "Hello world" and len(server.requests) == 2  # from the cache


async def test_a_retry_that_splits_the_text_differently_still_resumes(tmp_path):
    server = Server(
        stream_reply(events("Hel", "lo wo", finish=None, tokens=None, done=False)),
        stream_reply(events("H", "ello", " world", tokens=3)),
    )
    llm, _, _, _ = make(server, tmp_path)
    assert [p async for p in llm.stream(PROMPT)] == ["Hel", "lo wo", "rld"]


async def test_a_retry_that_answers_differently_is_an_error_and_not_cached(tmp_path):
    server = Server(
        stream_reply(events("Hello", finish=None, tokens=None, done=False)),
        stream_reply(events("Goodbye", tokens=1)),
    )
    llm, _, cache, _ = make(server, tmp_path)
    got: list[str] = []
    with pytest.raises(MalformedResponseError, match="differs") as info:
        async for piece in llm.stream(PROMPT):
            got.append(piece)
    assert got == ["Hello"] and info.value.raw == "Hello"
    assert cache.stats().entries == 0


@pytest.mark.parametrize(
    ("items", "finish"),
    [
        (events("Hi", tokens=None, done=False), "stop"),  # finish chunk, then a clean close
        (events("Hi", finish=None, tokens=None), "stop"),  # [DONE] alone counts as stop
        (events("Hi", finish="length"), "length"),
    ],
    ids=["finish-no-done", "done-no-finish", "length"],
)
async def test_finished_streams_are_stored_with_their_finish_reason(items, finish, tmp_path):
    llm, inner, cache, _ = make(Server(stream_reply(items)), tmp_path)
    assert await collect(llm) == "Hi"
    assert stored(cache, llm).finish_reason == finish
    chunks = [c async for c in inner.stream_chunks(PROMPT)]
    assert [c.finish_reason for c in chunks if c.finish_reason] == [finish]


async def test_a_drop_after_the_finish_reason_loses_nothing(tmp_path):
    server = Server(dropped_reply(events("Hi", tokens=None, done=False)))
    llm, _, cache, clock = make(server, tmp_path)
    assert await collect(llm) == "Hi" and clock.sleeps == []
    assert stored(cache, llm).text == "Hi"


async def test_garbage_chunk_fields_are_malformed_not_tracebacks(tmp_path):
    bad = [json.dumps({"choices": [{"delta": {"content": 5}}]})]
    llm, _, cache, _ = make(Server(stream_reply(bad)), tmp_path)
    with pytest.raises(MalformedResponseError, match="not a string"):
        await collect(llm, GenerateConfig(max_retries=0))
    assert cache.stats().entries == 0


# -- the cache's own rule ----------------------------------------------------------------------


def test_the_store_refuses_what_is_not_finished(tmp_path):
    cache = CallCache(tmp_path / "c.sqlite")
    assert not cache.put("a", "m", Completion(text="cut", finish_reason=None))
    assert not cache.put("b", "m", Completion(text="", finish_reason="stop"))
    assert cache.put("c", "m", Completion(text="done", finish_reason="length"))
    assert cache.stats().entries == 1
    assert not finished(Completion(text="x")) and finished(Completion(text="x", finish_reason="s"))


async def test_entries_an_older_lmforge_stored_unfinished_are_misses(tmp_path):
    cache = CallCache(tmp_path / "c.sqlite")
    llm = CachedLLM(ScriptedLLM(["fresh"]), cache)
    key = cache_key(llm.spec, [Message(role="user", content=PROMPT)], GenerateConfig())
    # what the old stream path wrote for a cut stream: the text, no finish reason
    legacy = Completion(text="cut te", model=llm.spec).model_dump_json()
    with cache._sql() as db:
        db.execute("INSERT INTO calls VALUES (?, ?, ?, 0)", (key, llm.spec, legacy))
        db.execute("INSERT INTO calls VALUES ('junk', 'm', '{not json', 0)")
        db.commit()
    assert cache.get("junk") is None
    first = await llm.generate(PROMPT)
    assert (first.text, first.cached) == ("fresh", False)
    assert (await llm.generate(PROMPT)).cached  # the finished answer replaced the cut one


async def test_streams_of_backends_without_native_streaming_are_stored(tmp_path):
    cache = CallCache(tmp_path / "c.sqlite")
    inner = ScriptedLLM(["one answer"])
    llm = CachedLLM(inner, cache)
    assert await collect(llm) == "one answer"
    assert await collect(llm) == "one answer" and len(inner.calls) == 1


async def test_a_native_stream_that_cannot_say_how_it_ended_is_not_stored(tmp_path):
    class Streamer(ScriptedLLM):
        async def _stream(self, messages, config):
            yield "maybe "
            yield "cut"

    cache = CallCache(tmp_path / "c.sqlite")
    llm = CachedLLM(Streamer(["unused"]), cache)
    assert await collect(llm) == "maybe cut"
    assert cache.stats().entries == 0


async def test_a_consumer_that_stops_early_stores_nothing(tmp_path):
    server = Server(stream_reply(events("a", "b", "c", tokens=3)))
    llm, _, cache, _ = make(server, tmp_path)
    async for _ in llm.stream(PROMPT):
        break
    assert cache.stats().entries == 0
