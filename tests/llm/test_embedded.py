"""The default model, run for real by xllamacpp (temperature 0)."""

import hashlib
import json

import pytest

from lmforge.errors import ContextLengthError, ModelIntegrityError
from lmforge.llm.models import EMBEDDED_MODELS, GGUFModel, gguf_path
from lmforge.llm.registry import get_llm
from lmforge.llm.types import GenerateConfig, Message, Request


async def test_embedded_answers_a_prompt():
    llm = get_llm("embedded", cache=False)
    completion = await llm.generate(
        "What is the capital city of France? Answer with one word.", GenerateConfig(max_tokens=16)
    )
    assert "paris" in completion.text.lower()
    assert completion.usage.prompt_tokens > 10 and 0 < completion.usage.completion_tokens <= 16
    assert completion.finish_reason in {"stop", "length"}


async def test_embedded_streams_the_same_text_and_follows_a_schema():
    llm = get_llm("embedded", cache=False)
    config = GenerateConfig(max_tokens=24)
    prompt = "List three primary colours, comma separated."
    pieces = [p async for p in llm.stream(prompt, config)]
    assert len(pieces) > 1
    assert "".join(pieces) == (await llm.generate(prompt, config)).text
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    out = await llm.generate(
        "Invent a person as JSON.", GenerateConfig(max_tokens=40, json_schema=schema)
    )
    data = json.loads(out.text)
    assert isinstance(data["name"], str) and isinstance(data["age"], int)


async def test_generate_many_in_order_with_continuous_batching():
    llm = get_llm("embedded-tiny", cache=False)
    questions = ["Say A.", "Say B.", "Say C.", "Say D."]
    requests = [
        Request(messages=[Message(role="user", content=q)], config=GenerateConfig(max_tokens=8))
        for q in questions
    ]
    batched = await llm.generate_many(requests, concurrency=4)
    one_by_one = [await llm.generate(q, GenerateConfig(max_tokens=8)) for q in questions]
    assert [c.text for c in batched] == [c.text for c in one_by_one]


async def test_prompt_over_the_context_is_a_context_length_error():
    from lmforge.llm.embedded import EmbeddedLLM

    llm = EmbeddedLLM("embedded-tiny", n_ctx=256, parallel=1)
    with pytest.raises(ContextLengthError):
        await llm.generate("word " * 2000, GenerateConfig(max_tokens=4))


def test_model_files_are_verified(tmp_path):
    path = gguf_path("embedded-tiny")
    assert path.stat().st_size == EMBEDDED_MODELS["embedded-tiny"].size
    bad = GGUFModel(
        name="bad",
        filename="bad.gguf",
        size=path.stat().st_size,
        sha256=hashlib.sha256(b"other").hexdigest(),
        parts=EMBEDDED_MODELS["embedded-tiny"].parts,
        install_hint="reinstall",
    )
    EMBEDDED_MODELS["bad"] = bad
    try:
        with pytest.raises(ModelIntegrityError, match="does not match sha256"):
            gguf_path("bad", home=tmp_path)
    finally:
        del EMBEDDED_MODELS["bad"]


def test_assembled_default_model_has_the_published_hash():
    path = gguf_path("embedded")
    assert path.stat().st_size == 491_400_064
    assert path.name.endswith(".gguf")
