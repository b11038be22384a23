"""openai_compat against a real OpenAI-compatible server on 127.0.0.1 (the embedded model)."""

import json

from lmforge.llm.openai_compat import OpenAICompatLLM
from lmforge.llm.registry import get_llm
from lmforge.llm.types import GenerateConfig, Message, Request
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.runner import Stage, run_stage


async def test_generate_stream_and_schema_over_http(model_server):
    llm = OpenAICompatLLM("embedded", model_server)
    assert await llm.list_models() == ["embedded"]
    out = await llm.generate(
        "What is the capital city of France? Answer with one word.", GenerateConfig(max_tokens=12)
    )
    assert "paris" in out.text.lower() and out.usage.completion_tokens > 0
    pieces = [p async for p in llm.stream("Count from 1 to 5.", GenerateConfig(max_tokens=20))]
    assert len(pieces) > 1 and "3" in "".join(pieces)
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    data = json.loads(
        (
            await llm.generate("Reply as JSON.", GenerateConfig(max_tokens=16, json_schema=schema))
        ).text
    )
    assert isinstance(data["ok"], bool)
    await llm.aclose()


async def test_http_and_in_process_give_the_same_greedy_text(model_server):
    prompt, config = "Name one planet.", GenerateConfig(max_tokens=12)
    remote = await get_llm(f"openai:embedded@{model_server}", cache=False).generate(prompt, config)
    local = await get_llm("embedded", cache=False).generate(prompt, config)
    assert remote.text == local.text


async def test_runner_over_http_with_concurrency(model_server, tmp_path):
    llm = get_llm(f"openai:embedded@{model_server}")

    async def answer(record, ctx):
        return {**record, "answer": (await ctx.generate(record["q"], max_tokens=8)).text}

    records = [{"id": str(i), "q": f"What is {i} plus {i}?"} for i in range(6)]
    summary = await run_stage(
        Stage("qa", answer), records, tmp_path / "o.jsonl", llm=llm, concurrency=4, quiet=True
    )
    assert (summary.done, summary.failed) == (6, 0)
    assert all(r["answer"] for r in read_jsonl(tmp_path / "o.jsonl"))
    requests = [
        Request(
            messages=[Message(role="user", content=r["q"])], config=GenerateConfig(max_tokens=8)
        )
        for r in records
    ]
    again = await llm.generate_many(requests)
    assert all(c.cached for c in again)  # the runner's calls are in the cache
