"""Broken answers from a real server never pass for finished ones, nor reach the cache.

A real OpenAI-compatible server (`lmforge serve-model embedded-tiny`, llama.cpp) sits behind a
real flaky proxy on 127.0.0.1 (``flaky_proxy.py``) that sends an empty answer, a clean cut
mid-text (no finish_reason, no [DONE]), a connection reset mid-body, or null content. For each:
a fault every time fails with MalformedResponseError after the bounded retries and caches
nothing (the next call asks the server again); a fault once is retried to the whole answer, and
only that is cached; through `lmforge generate` a broken answer exits non-zero.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from hostile.flaky_proxy import FAULTS, FlakyProxy
from lmforge.errors import MalformedResponseError
from lmforge.llm.cache import CachedLLM, CallCache, cache_key
from lmforge.llm.openai_compat import OpenAICompatLLM
from lmforge.llm.retry import RetryPolicy
from lmforge.llm.types import GenerateConfig, Message

PROMPT = "Count from one to twenty in words."
CONFIG = GenerateConfig(max_tokens=10)
MODES = ("stream", "generate")


@pytest.fixture(scope="module")
def server_url():
    """One decoding thread: llama.cpp's spinning threads crawl on a busy machine."""
    from lmforge.llm.serve import spawned_server

    with pytest.MonkeyPatch.context() as env:
        env.setenv("LMFORGE_THREADS", "1")
        with spawned_server("embedded-tiny", parallel=2, n_ctx=1024) as url:
            yield url


@pytest.fixture(scope="module")
def truth(server_url) -> str:
    """The whole greedy answer, straight from the server."""
    import asyncio

    async def ask() -> tuple[str, str, str | None]:
        llm = OpenAICompatLLM("embedded-tiny", server_url, api_key="")
        whole = await llm.generate(PROMPT, CONFIG)
        streamed = "".join([p async for p in llm.stream(PROMPT, CONFIG)])
        await llm.aclose()
        return whole.text, streamed, whole.finish_reason

    text, streamed, finish = asyncio.run(ask())
    assert text == streamed and finish == "length" and len(text) > 8
    return text


@pytest.fixture
def proxy(server_url):
    with FlakyProxy(server_url) as running:
        yield running


def cached_llm(url: str, cache: CallCache) -> CachedLLM:
    retry = RetryPolicy(base_delay=0.01, max_delay=0.05, jitter=0.0)
    return CachedLLM(OpenAICompatLLM("embedded-tiny", url, api_key="", retry=retry), cache)


async def ask(llm: CachedLLM, mode: str, config: GenerateConfig = CONFIG) -> str:
    if mode == "stream":
        return "".join([p async for p in llm.stream(PROMPT, config)])
    return (await llm.generate(PROMPT, config)).text


def entry(cache: CallCache, llm: CachedLLM):
    return cache.get(cache_key(llm.spec, [Message(role="user", content=PROMPT)], CONFIG))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", FAULTS)
async def test_a_fault_every_time_fails_bounded_and_caches_nothing(
    fault, mode, proxy, truth, tmp_path
):
    cache = CallCache(tmp_path / "calls.sqlite")
    llm = cached_llm(proxy.url_with(fault), cache)
    with pytest.raises(MalformedResponseError):
        await ask(llm, mode, CONFIG.model_copy(update={"max_retries": 1}))
    assert proxy.chat_requests(fault) == 2  # the first try and one retry, no more
    assert cache.stats().entries == 0 and entry(cache, llm) is None
    with pytest.raises(MalformedResponseError):  # asked again: the server, not the cache
        await ask(llm, mode, CONFIG.model_copy(update={"max_retries": 0}))
    assert proxy.chat_requests(fault) == 3 and cache.stats().entries == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", FAULTS)
async def test_a_fault_once_is_retried_to_the_whole_answer(fault, mode, proxy, truth, tmp_path):
    cache = CallCache(tmp_path / "calls.sqlite")
    llm = cached_llm(proxy.url, cache)
    proxy.faults = [fault]
    assert await ask(llm, mode) == truth  # a cut stream resumes: no text twice, none missing
    assert proxy.chat_requests(fault) == 1 and proxy.chat_requests(None) == 1
    stored = entry(cache, llm)
    assert (stored.text, stored.finish_reason) == (truth, "length")
    assert await ask(llm, mode) == truth and proxy.chat_requests() == 2  # now from the cache


def generate(url: str, cache_path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "LMFORGE_CACHE_PATH": str(cache_path)}
    cmd = [
        sys.executable,
        "-m",
        "lmforge.cli",
        "generate",
        "--model",
        f"openai:embedded-tiny@{url}",
    ]
    cmd += ["--max-tokens", str(CONFIG.max_tokens), PROMPT]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def test_the_cli_exits_non_zero_on_every_broken_answer(proxy, truth, tmp_path):
    """Default retry policy (4 retries with backoff): the five commands run side by side."""
    with ThreadPoolExecutor(len(FAULTS)) as pool:
        runs = dict(
            zip(
                FAULTS,
                pool.map(lambda f: generate(proxy.url_with(f), tmp_path / f"{f}.sqlite"), FAULTS),
                strict=True,
            )
        )
    for fault, run in runs.items():
        assert run.returncode == 1, (fault, run.stdout, run.stderr)
        assert run.stderr.splitlines()[-1].startswith("error: MalformedResponseError: "), fault
        assert "Traceback" not in run.stderr
        shown = run.stdout.removesuffix("\n")
        assert shown != truth and truth.startswith(shown), (fault, run.stdout)  # never passed off
        assert proxy.chat_requests(fault) == 5  # the first try and four retries
        assert CallCache(tmp_path / f"{fault}.sqlite").stats().entries == 0


def test_the_cli_prints_the_whole_answer_once_after_a_reset(proxy, truth, tmp_path):
    proxy.faults = ["drop"]
    run = generate(proxy.url, tmp_path / "calls.sqlite")
    assert (run.returncode, run.stdout) == (0, truth + "\n"), run.stderr
    again = generate(proxy.url, tmp_path / "calls.sqlite")
    assert (again.returncode, again.stdout) == (0, truth + "\n")
    assert proxy.chat_requests() == 2  # the reset try and its retry; the rerun hit the cache
