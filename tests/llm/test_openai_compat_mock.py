"""OpenAICompatLLM against httpx.MockTransport: no sockets, and a fake clock for retries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from lmforge.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthError,
    LLMConnectionError,
    LLMTimeoutError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
)
from lmforge.llm.openai_compat import OpenAICompatLLM, iter_sse, parse_retry_after
from lmforge.llm.retry import RetryPolicy
from lmforge.llm.types import GenerateConfig, Request, TokenLogprob, Usage

BASE = "http://test.local/v1"


def ok(text: str | None = "hello", **extra: Any) -> httpx.Response:
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": text},
        "finish_reason": "stop",
    }
    choice.update(extra)
    body = {
        "id": "c1",
        "object": "chat.completion",
        "model": "served-name",
        "choices": [choice],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    return httpx.Response(200, json=body)


class Server:
    """Answers with the scripted steps in turn (a Response or an exception to raise)."""

    def __init__(self, *steps: httpx.Response | Exception) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step

    def body(self, i: int = 0) -> dict[str, Any]:
        return json.loads(self.requests[i].content)


class FakeClock:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def make(handler: Any, **kw: Any) -> tuple[OpenAICompatLLM, FakeClock]:
    clock = FakeClock()
    retry = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=0.0, sleep=clock.sleep)
    kw.setdefault("api_key", "sk-test")
    llm = OpenAICompatLLM("m", BASE, transport=httpx.MockTransport(handler), retry=retry, **kw)
    return llm, clock


async def test_plain_success() -> None:
    server = Server(ok("hi there"))
    llm, clock = make(server)
    c = await llm.generate("Say hi")
    assert (c.text, c.model, c.finish_reason, c.retries) == ("hi there", "served-name", "stop", 0)
    assert c.usage == Usage(prompt_tokens=3, completion_tokens=2)
    assert str(server.requests[0].url) == "http://test.local/v1/chat/completions"
    assert server.requests[0].headers["authorization"] == "Bearer sk-test"
    assert clock.sleeps == []
    assert llm.spec == "openai:m@http://test.local/v1"
    assert llm.default_concurrency == 16


async def test_429_waits_exactly_retry_after() -> None:
    server = Server(httpx.Response(429, headers={"Retry-After": "7"}, text="busy"), ok())
    llm, clock = make(server)
    c = await llm.generate("x")
    assert clock.sleeps == [7.0]
    assert c.retries == 1
    assert len(server.requests) == 2


async def test_429_retry_after_ms_header() -> None:
    server = Server(httpx.Response(429, headers={"retry-after-ms": "250"}), ok())
    llm, clock = make(server)
    await llm.generate("x")
    assert clock.sleeps == [0.25]


async def test_429_gives_up_with_rate_limit_error() -> None:
    server = Server(httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "slow"}))
    llm, clock = make(server)
    with pytest.raises(RateLimitError) as info:
        await llm.generate("x", GenerateConfig(max_retries=2))
    assert (info.value.retry_after, info.value.status) == (2.0, 429)
    assert clock.sleeps == [2.0, 2.0]


def test_parse_retry_after_forms() -> None:
    now = datetime(2015, 10, 21, 7, 27, 30, tzinfo=timezone.utc)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now=now) == 0.0
    assert parse_retry_after(" 12 ") == 12.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    assert parse_retry_after(None) is None


async def test_503_then_200_is_one_retry() -> None:
    server = Server(httpx.Response(503, text="overloaded"), ok("fine"))
    llm, clock = make(server)
    c = await llm.generate("x")
    assert (c.text, c.retries) == ("fine", 1)
    assert clock.sleeps == [1.0]


async def test_timeout_then_success() -> None:
    server = Server(httpx.ReadTimeout("slow"), ok("late"))
    llm, clock = make(server)
    c = await llm.generate("x", GenerateConfig(timeout=2.5))
    assert (c.text, c.retries) == ("late", 1)
    assert clock.sleeps == [1.0]
    assert server.requests[1].extensions["timeout"] == {
        "connect": 2.5,
        "read": 2.5,
        "write": 2.5,
        "pool": 2.5,
    }


async def test_whole_attempt_is_bounded_by_config_timeout() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return ok()

    llm, _ = make(hang)
    with pytest.raises(LLMTimeoutError):
        await llm.generate("x", GenerateConfig(timeout=0.05, max_retries=0))


async def test_connect_error_then_success() -> None:
    server = Server(httpx.ConnectError("refused"), ok())
    llm, _ = make(server)
    assert (await llm.generate("x")).retries == 1


async def test_connect_error_exhausted_is_connection_error() -> None:
    llm, clock = make(Server(httpx.ConnectError("refused")))
    with pytest.raises(LLMConnectionError):
        await llm.generate("x", GenerateConfig(max_retries=1))
    assert clock.sleeps == [1.0]


async def test_malformed_json_is_retried_then_raised() -> None:
    server = Server(httpx.Response(200, text="<html>oops</html>"))
    llm, clock = make(server)
    with pytest.raises(MalformedResponseError) as info:
        await llm.generate("x", GenerateConfig(max_retries=2))
    assert info.value.raw == "<html>oops</html>"
    assert len(server.requests) == 3
    assert clock.sleeps == [1.0, 2.0]


async def test_malformed_once_then_ok() -> None:
    llm, _ = make(Server(httpx.Response(200, json={"choices": []}), ok("good")))
    c = await llm.generate("x")
    assert (c.text, c.retries) == ("good", 1)


async def test_null_content_is_malformed_and_keeps_raw() -> None:
    response = ok(None)
    llm, _ = make(Server(response))
    with pytest.raises(MalformedResponseError, match="null") as info:
        await llm.generate("x", GenerateConfig(max_retries=0))
    assert json.loads(info.value.raw)["choices"][0]["message"]["content"] is None


async def test_401_is_permanent() -> None:
    server = Server(httpx.Response(401, json={"error": {"message": "bad key"}}))
    llm, clock = make(server)
    with pytest.raises(AuthenticationError, match="bad key") as info:
        await llm.generate("x")
    assert info.value.status == 401
    assert len(server.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            400,
            {
                "error": {
                    "code": 400,
                    "message": "request (4476 tokens) exceeds the available context size "
                    "(4096 tokens)",
                    "type": "exceed_context_size_error",
                }
            },
            ContextLengthError,
        ),
        (
            400,
            {"error": {"message": "This model's maximum context length is 8"}},
            ContextLengthError,
        ),
        (400, {"error": {"message": "temperature must be >= 0"}}, BadRequestError),
        (404, {"error": {"message": "model not found"}}, BadRequestError),
        (403, {"error": {"message": "forbidden"}}, AuthenticationError),
    ],
)
async def test_permanent_status_mapping(status: int, body: dict, error: type) -> None:
    server = Server(httpx.Response(status, json=body))
    llm, clock = make(server)
    with pytest.raises(error) as info:
        await llm.generate("x")
    assert type(info.value) is error
    assert len(server.requests) == 1
    assert json.loads(info.value.raw) == body


async def test_bounded_retries_grow_and_cap() -> None:
    server = Server(httpx.Response(502, text="bad gateway"))
    llm, clock = make(server)
    with pytest.raises(ServerError) as info:
        await llm.generate("x", GenerateConfig(max_retries=5))
    assert info.value.status == 502
    assert len(server.requests) == 6
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 8.0]


async def test_request_body() -> None:
    server = Server(ok())
    llm, _ = make(server)
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    config = GenerateConfig(
        max_tokens=77, temperature=0.3, top_p=0.9, seed=42, stop=("END", "\n\n"), json_schema=schema
    )
    await llm.generate(
        [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}], config
    )
    assert server.body() == {
        "model": "m",
        "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
        "max_tokens": 77,
        "temperature": 0.3,
        "top_p": 0.9,
        "seed": 42,
        "stop": ["END", "\n\n"],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": schema, "strict": True},
        },
    }


async def test_request_body_minimal_and_json_object_fallback() -> None:
    server = Server(ok())
    llm, _ = make(server, supports_json_schema=False)
    await llm.generate("U")
    await llm.generate("U", GenerateConfig(json_schema={"type": "object"}))
    first, second = server.body(0), server.body(1)
    assert "stop" not in first and "response_format" not in first and "logprobs" not in first
    assert second["response_format"] == {"type": "json_object", "schema": {"type": "object"}}


async def test_logprobs_requested_and_parsed() -> None:
    logprobs = {
        "content": [
            {
                "id": 9,
                "token": "Hi",
                "logprob": -0.25,
                "bytes": [72, 105],
                "top_logprobs": [
                    {"token": "Hi", "logprob": -0.25},
                    {"token": "Yo", "logprob": -2.0},
                ],
            },
            {"token": "!", "logprob": -1.5, "top_logprobs": []},
        ]
    }
    server = Server(ok("Hi!", logprobs=logprobs))
    llm, _ = make(server)
    c = await llm.generate("x", GenerateConfig(top_logprobs=2))
    assert server.body()["logprobs"] is True
    assert server.body()["top_logprobs"] == 2
    assert c.logprobs == [
        TokenLogprob(token="Hi", logprob=-0.25, token_id=9, top=[("Hi", -0.25), ("Yo", -2.0)]),
        TokenLogprob(token="!", logprob=-1.5, token_id=None, top=[]),
    ]


async def test_api_key_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "from-openai")
    monkeypatch.setenv("LMFORGE_API_KEY", "from-lmforge")
    server = Server(ok())
    llm, _ = make(server, api_key=None, headers={"X-Extra": "1"})
    await llm.generate("x")
    assert server.requests[0].headers["authorization"] == "Bearer from-lmforge"
    assert server.requests[0].headers["x-extra"] == "1"
    monkeypatch.delenv("LMFORGE_API_KEY")
    monkeypatch.delenv("OPENAI_API_KEY")
    llm2, _ = make(server, api_key=None)
    await llm2.generate("x")
    assert "authorization" not in server.requests[1].headers


def sse(*events: str) -> bytes:
    return "".join(f"data: {e}\n\n" for e in events).encode()


STREAM_EVENTS = [
    json.dumps({"model": "s", "choices": [{"index": 0, "delta": {"role": "assistant"}}]}),
    json.dumps({"choices": [{"index": 0, "delta": {"content": "Hel"}}], "usage": None}),
    json.dumps({"choices": [{"index": 0, "delta": {"content": "lo"}}]}),
    json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
    json.dumps({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}}),
    "[DONE]",
]


async def split_bytes(data: bytes, size: int) -> AsyncIterator[bytes]:
    """Deliver the body in pieces that cut lines and UTF-8 at arbitrary places."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_streaming_text_and_usage() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=split_bytes(sse(*STREAM_EVENTS), 7))

    llm, _ = make(handler)
    pieces = [p async for p in llm.stream("x")]
    assert pieces == ["Hel", "lo"]
    body = json.loads(requests[0].content)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    chunks = [c async for c in llm.stream_chunks("x")]
    assert [c.text for c in chunks] == ["", "Hel", "lo", "", ""]
    assert chunks[3].finish_reason == "stop"
    assert chunks[-1].usage == Usage(prompt_tokens=5, completion_tokens=2)
    assert [c.usage for c in chunks[:-1]] == [None] * 4


async def test_stream_retries_before_first_byte() -> None:
    server = Server(httpx.Response(503), httpx.Response(200, content=sse(*STREAM_EVENTS)))
    llm, clock = make(server)
    assert "".join([p async for p in llm.stream("x")]) == "Hello"
    assert clock.sleeps == [1.0]


async def test_stream_error_event_is_retried_then_raised() -> None:
    body = sse(STREAM_EVENTS[1]) + b'error: {"code": 500, "message": "slot died"}\n\n'
    server = Server(httpx.Response(200, content=body))
    llm, clock = make(server)
    got: list[str] = []
    with pytest.raises(ServerError, match="slot died"):
        async for piece in llm.stream("x", GenerateConfig(max_retries=2)):
            got.append(piece)
    assert got == ["Hel"]  # each retry starts with the text already shown: not shown twice
    assert len(server.requests) == 3 and clock.sleeps == [1.0, 2.0]


async def test_stream_error_event_then_a_whole_answer_resumes() -> None:
    broken = sse(STREAM_EVENTS[1]) + b'error: {"code": 500, "message": "slot died"}\n\n'
    server = Server(
        httpx.Response(200, content=broken), httpx.Response(200, content=sse(*STREAM_EVENTS))
    )
    llm, _ = make(server)
    assert [p async for p in llm.stream("x")] == ["Hel", "lo"]


async def test_stream_401_is_permanent() -> None:
    server = Server(httpx.Response(401, text="nope"))
    llm, clock = make(server)
    with pytest.raises(AuthenticationError):
        async for _ in llm.stream("x"):
            pass
    assert len(server.requests) == 1


async def test_iter_sse_comments_multiline_and_crlf() -> None:
    async def lines() -> AsyncIterator[str]:
        for line in [": keep-alive", "event: ping", "data: a", "data: b\r", "", "data: c"]:
            yield line

    assert [e async for e in iter_sse(lines())] == [("ping", "a\nb"), ("message", "c")]


async def test_generate_many_keeps_order_and_limits_concurrency() -> None:
    in_flight = {"now": 0, "max": 0}
    n = 20

    async def handler(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["messages"][0]["content"]
        in_flight["now"] += 1
        in_flight["max"] = max(in_flight["max"], in_flight["now"])
        # Later prompts answer sooner, so completion order differs from input order.
        await asyncio.sleep(0.001 * (n - int(prompt)))
        in_flight["now"] -= 1
        return ok(f"answer {prompt}")

    llm, _ = make(handler)
    requests = [Request(messages=[{"role": "user", "content": str(i)}]) for i in range(n)]
    results = await llm.generate_many(requests, concurrency=4)
    assert [r.text for r in results] == [f"answer {i}" for i in range(n)]
    assert in_flight["max"] == 4


async def test_list_models_and_aclose() -> None:
    body = {"object": "list", "data": [{"id": "a", "object": "model"}, {"id": "b"}]}
    server = Server(httpx.Response(200, json=body))
    llm, _ = make(server)
    assert await llm.list_models() == ["a", "b"]
    assert str(server.requests[0].url) == "http://test.local/v1/models"
    await llm.aclose()
    assert await llm.list_models() == ["a", "b"]  # a fresh pool after aclose
    await llm.aclose()


async def test_list_models_errors() -> None:
    llm, _ = make(Server(httpx.Response(401, text="no")))
    with pytest.raises(AuthenticationError):
        await llm.list_models()
    llm, _ = make(Server(httpx.Response(200, json={"models": []})))
    with pytest.raises(MalformedResponseError):
        await llm.list_models()
