"""EndpointPool against httpx.MockTransport: routing, limits, failover, probes, no sockets."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from lmforge.errors import ConfigError, LLMConnectionError
from lmforge.llm.cache import CachedLLM, CallCache
from lmforge.llm.endpoints import EndpointPool, endpoint_stats
from lmforge.llm.openai_compat import OpenAICompatLLM
from lmforge.llm.registry import get_llm, parse_openai_spec, spec_help
from lmforge.llm.retry import RetryPolicy
from lmforge.llm.types import GenerateConfig, Request

A, B = "http://a.test/v1", "http://b.test/v1"


def answer(text: str) -> httpx.Response:
    body = {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1},
    }
    return httpx.Response(200, json=body)


class Servers:
    """Two fake servers by host: each can be down (connection refused), failing (503) or slow;
    they count what they answer and the most requests they held at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.down: set[str] = set()
        self.failing: set[str] = set()
        self.answered = {"a.test": 0, "b.test": 0}
        self.busy = {"a.test": 0, "b.test": 0}
        self.peak = {"a.test": 0, "b.test": 0}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in self.down:
            raise httpx.ConnectError("connection refused")
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": [{"id": "m"}]})
        if host in self.failing:
            return httpx.Response(503, json={"error": {"message": "overloaded"}})
        self.busy[host] += 1
        self.peak[host] = max(self.peak[host], self.busy[host])
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.busy[host] -= 1
        self.answered[host] += 1
        prompt = json.loads(request.content)["messages"][-1]["content"]
        return answer(f"{host}:{prompt}")


def pool(servers: Servers, **kwargs) -> EndpointPool:
    options = {"limit": 4, "probe_delay": 0.01, "probe_max": 0.05, **kwargs}
    retry = RetryPolicy(base_delay=0.0, jitter=0.0)
    return EndpointPool("m", [A, B], transport=httpx.MockTransport(servers), retry=retry, **options)


def requests(n: int) -> list[Request]:
    return [Request(messages=[{"role": "user", "content": f"q{i}"}]) for i in range(n)]


def test_spec_grammar():
    parsed = parse_openai_spec(f"openai:m@{A}, {B}/ #vision,limit=8")
    assert (parsed.name, parsed.urls, parsed.vision, parsed.limit) == ("m", (A, B), True, 8)
    assert parsed.canonical() == f"openai:m@{A},{B}#vision,limit=8"
    assert parse_openai_spec(f"openai:m@{A}").urls == (A,)
    for bad, says in [
        (f"openai:m@{A},{A}", "listed twice"),
        (f"openai:m@{A}#fast", "unknown flag 'fast'"),
        (f"openai:m@{A}#limit=0", "unknown flag"),
        ("openai:m@a.test:8000", r"not an http\(s\) URL"),
        ("openai:@" + A, "expected openai:NAME@"),
    ]:
        with pytest.raises(ConfigError, match=says):
            parse_openai_spec(bad)


def test_registry_builds_a_pool_for_several_urls():
    llm = get_llm(f"openai:m@{A},{B}#limit=3", cache=False)
    assert isinstance(llm, EndpointPool) and llm.default_concurrency == 6
    assert llm.spec == f"openai:m@{A},{B}#limit=3"
    single = get_llm(f"openai:m@{A}#limit=5", cache=False)
    assert isinstance(single, OpenAICompatLLM) and single.default_concurrency == 5
    assert any("URL2" in usage for usage, _ in spec_help())


async def test_least_outstanding_spread_within_each_limit():
    servers = Servers(delay=0.01)
    llm = pool(servers)
    out = await llm.generate_many(requests(40), concurrency=8)
    assert [c.text.split(":")[1] for c in out] == [f"q{i}" for i in range(40)]
    assert servers.answered == {"a.test": 20, "b.test": 20}
    assert max(servers.peak.values()) <= 4
    stats = llm.stats()
    assert stats[A]["ok"] == stats[A]["requests"] == 20 and stats[B]["failovers"] == 0
    await llm.aclose()


async def test_a_limit_smaller_than_the_callers_concurrency_makes_requests_wait():
    servers = Servers(delay=0.01)
    llm = pool(servers, limit=2)
    await llm.generate_many(requests(20), concurrency=16)
    assert servers.peak == {"a.test": 2, "b.test": 2}
    await llm.aclose()


async def test_failover_then_probe_back():
    servers = Servers(delay=0.005)
    servers.down.add("a.test")
    llm = pool(servers)
    out = await llm.generate_many(requests(12), concurrency=4)
    assert all(c.text.startswith("b.test:") and c.retries == 0 for c in out)
    stats = llm.stats()
    assert stats[A]["failovers"] >= 1 and stats[A]["marked_down"] == 1 and not stats[A]["up"]
    assert stats[B]["ok"] == 12 and stats[A]["ok"] == 0
    servers.down.clear()
    for _ in range(100):  # the probe task brings it back within its backoff
        if llm.is_up(A):
            break
        await asyncio.sleep(0.01)
    assert llm.stats()[A]["came_back"] == 1
    await llm.generate_many(requests(8), concurrency=4)
    assert servers.answered["a.test"] >= 3
    await llm.aclose()


async def test_all_down_waits_then_fails_as_a_connection_error():
    servers = Servers()
    servers.down |= {"a.test", "b.test"}
    llm = pool(servers, wait_down=0.1)
    with pytest.raises(LLMConnectionError, match="all 2 endpoints down"):
        await llm.generate("q", GenerateConfig(max_retries=0))
    await llm.aclose()


async def test_all_down_then_one_returns_while_the_request_waits():
    servers = Servers()
    servers.down |= {"a.test", "b.test"}
    llm = pool(servers, wait_down=5.0)

    async def revive() -> None:
        await asyncio.sleep(0.05)
        servers.down.discard("b.test")

    reply, _ = await asyncio.gather(llm.generate("q", GenerateConfig(max_retries=0)), revive())
    assert reply.text == "b.test:q" and llm.stats()[B]["came_back"] == 1
    await llm.aclose()


async def test_server_errors_are_retried_by_the_policy_not_failed_over():
    servers = Servers()
    servers.failing.add("a.test")
    llm = pool(servers)
    replies = await llm.generate_many(requests(6), concurrency=2)
    assert all(r.text.startswith("b.test:") for r in replies)
    stats = llm.stats()
    assert stats[A]["errors"] >= 1 and stats[A]["failovers"] == 0 and stats[A]["up"]
    assert sum(r.retries for r in replies) == stats[A]["errors"]
    await llm.aclose()


async def test_stream_fails_over_before_its_first_chunk():
    def sse(request: httpx.Request) -> httpx.Response:
        if request.url.host == "a.test":
            raise httpx.ConnectError("refused")
        chunks = [
            {"choices": [{"index": 0, "delta": {"content": "he"}}]},
            {"choices": [{"index": 0, "delta": {"content": "llo"}, "finish_reason": "stop"}]},
        ]
        body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        return httpx.Response(200, text=body, headers={"Content-Type": "text/event-stream"})

    llm = EndpointPool("m", [A, B], transport=httpx.MockTransport(sse), probe_delay=10)
    assert "".join([p async for p in llm.stream("q")]) == "hello"
    assert llm.stats()[A]["failovers"] == 1 and llm.stats()[B]["ok"] == 1
    await llm.aclose()


def test_endpoint_stats_see_through_the_cache(tmp_path):
    llm = pool(Servers())
    cached = CachedLLM(llm, CallCache(tmp_path / "c.sqlite"))
    assert set(endpoint_stats(cached)) == {A, B}
    assert endpoint_stats(OpenAICompatLLM("m", A)) == {}
