"""The transformers backend: generation, batched sequence scores and top-k targets.

Most tests use a tiny random Llama whose weights are large enough (init_std=0.2) that attending to
a padding token visibly changes the output; the last test uses the real SmolLM2 from its GGUF.
Reference numbers are computed here, unbatched and without padding, with plain torch.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from lmforge.errors import (  # noqa: E402
    BadRequestError,
    ConfigError,
    ContextLengthError,
    InputError,
)
from lmforge.llm.hf import HFLLM, SequenceScore  # noqa: E402
from lmforge.llm.types import GenerateConfig, Request  # noqa: E402
from lmforge.training import save_tiny_model  # noqa: E402

PROMPTS = [
    "The capital of France is",
    "Hi",
    "Write a short poem about the sea, the wind and the morning light, please.",
    [{"role": "user", "content": "What is 2 + 2?"}],
    "Reward models compare",
]
COMPLETIONS = [" Paris.", " there, how are you doing today?", " Waves", " 4<|im_end|>", ""]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny-llama"), seed=0, init_std=0.2)


@pytest.fixture(scope="module")
def llm(tiny_dir) -> HFLLM:
    return HFLLM.from_spec(str(tiny_dir))


def manual_logits(llm: HFLLM, ids: list[int]):
    """One unpadded, unmasked forward: the ground truth every batched result must equal."""
    with torch.no_grad():
        return torch.log_softmax(llm.model(torch.tensor([ids])).logits[0].float(), dim=-1)


def manual_score(llm: HFLLM, prompt, completion: str) -> list[float]:
    tok = llm.tokenizer
    if isinstance(prompt, str):
        head = tok(prompt)["input_ids"]
    else:
        text = tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
        head = tok(text, add_special_tokens=False)["input_ids"]
    tail = tok(completion, add_special_tokens=False)["input_ids"]
    logp = manual_logits(llm, head + tail)
    return [float(logp[len(head) + j - 1, t]) for j, t in enumerate(tail)]


def test_importing_the_module_does_not_import_torch():
    code = "import sys, lmforge.llm.hf; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_spec_registry_and_concurrency(llm, tiny_dir):
    from lmforge.llm.registry import get_llm

    assert llm.spec == f"hf:{tiny_dir}"
    assert llm.default_concurrency == 1
    assert isinstance(get_llm(f"hf:{tiny_dir}", cache=False), HFLLM)


def test_missing_folder_is_a_config_error_not_a_hub_lookup(tmp_path):
    with pytest.raises(ConfigError):
        HFLLM.from_spec(str(tmp_path / "HuggingFaceTB/SmolLM2-135M"))


async def test_greedy_generation_is_deterministic(llm):
    config = GenerateConfig(max_tokens=12)
    first = await llm.generate("The capital of France is", config)
    second = await llm.generate("The capital of France is", config)
    assert first.text and first.text == second.text
    assert first.finish_reason in ("stop", "length")
    assert 1 <= first.usage.completion_tokens <= 12
    chat = [{"role": "user", "content": "The capital of France is"}]
    prompt = llm.tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    assert first.usage.prompt_tokens == len(llm.tokenizer(prompt)["input_ids"])


async def test_generate_sync_treats_a_string_like_generate(llm):
    config = GenerateConfig(max_tokens=8)
    assert llm.generate_sync("Hi", config).text == (await llm.generate("Hi", config)).text


async def test_sampling_follows_the_seed(llm):
    def config(seed: int) -> GenerateConfig:
        return GenerateConfig(max_tokens=12, temperature=1.0, seed=seed)

    texts = [(await llm.generate("Hi", config(seed))).text for seed in range(4)]
    assert (await llm.generate("Hi", config(2))).text == texts[2]
    assert len(set(texts)) > 1


async def test_top_logprobs_describe_the_generated_tokens(llm):
    c = await llm.generate("Hi", GenerateConfig(max_tokens=8, top_logprobs=3))
    assert c.logprobs is not None and len(c.logprobs) >= 1
    ids = [t.token_id for t in c.logprobs]
    assert llm.tokenizer.decode(ids, skip_special_tokens=True) == c.text
    for t in c.logprobs:
        values = [v for _, v in t.top]
        assert len(values) == 3 and values == sorted(values, reverse=True)
        assert all(v <= 0 for v in values)
        assert t.logprob == pytest.approx(values[0], abs=1e-5)  # greedy picks the top token


async def test_stop_string_cuts_the_text(llm):
    full = (await llm.generate("Hi", GenerateConfig(max_tokens=30))).text
    pairs = [full[i : i + 2] for i in range(3, len(full) - 1)]
    stop = next(p for p in pairs if p.isascii() and p.isalnum())
    cut = await llm.generate("Hi", GenerateConfig(max_tokens=30, stop=(stop,)))
    assert cut.text == full[: full.index(stop)]
    assert cut.finish_reason == "stop"
    assert cut.usage.completion_tokens < 30


async def test_json_schema_is_refused(llm):
    with pytest.raises(BadRequestError):
        await llm.generate("Hi", GenerateConfig(json_schema={"type": "object"}))


async def test_generate_many_in_parallel_equals_one_by_one(llm):
    prompts = ["Hi", "The capital of France is", "Write a poem", "Reward models"]
    config = GenerateConfig(max_tokens=10)
    alone = [(await llm.generate(p, config)).text for p in prompts]
    together = await llm.generate_many(
        [Request(messages=[{"role": "user", "content": p}], config=config) for p in prompts],
        concurrency=4,
    )
    assert [c.text for c in together] == alone


async def test_the_event_loop_stays_free_during_a_forward(llm):
    ticks, done = 0, False

    async def ticker():
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await llm.generate("Hi", GenerateConfig(max_tokens=64))
    done = True
    await task
    assert ticks > 5


@pytest.mark.parametrize("side", ["left", "right"])
async def test_sequence_logprobs_equal_unbatched_reference(llm, side, monkeypatch):
    monkeypatch.setattr(llm.tokenizer, "padding_side", side)
    scores = await llm.sequence_logprobs(PROMPTS, COMPLETIONS, batch_size=2)
    assert len(scores) == len(PROMPTS)
    for prompt, completion, score in zip(PROMPTS, COMPLETIONS, scores, strict=True):
        expected = manual_score(llm, prompt, completion)
        assert score.n_tokens == len(expected) == len(score.token_logprobs)
        assert score.token_logprobs == pytest.approx(expected, abs=1e-4)
        assert score.logprob == pytest.approx(sum(expected), abs=1e-4)
        assert all(v <= 0 for v in score.token_logprobs)
    assert scores[-1].n_tokens == 0 and scores[-1].logprob == 0.0


def test_the_reference_test_would_catch_a_masking_mistake(llm):
    """Guard for the test above: with this model, attending to padding changes the numbers."""
    tok = llm.tokenizer
    short, long = tok("Hi there")["input_ids"], tok(PROMPTS[2])["input_ids"]
    padded = torch.tensor([[tok.pad_token_id] * (len(long) - len(short)) + short, long])
    with torch.no_grad():
        unmasked = torch.log_softmax(llm.model(padded).logits[0, -len(short) :], dim=-1)
    assert (unmasked - manual_logits(llm, short)).abs().max() > 1e-2


def test_sequence_logprobs_sync_and_batch_size_agree(llm):
    one = llm.sequence_logprobs_sync(PROMPTS, COMPLETIONS, batch_size=1)
    many = llm.sequence_logprobs_sync(PROMPTS, COMPLETIONS, batch_size=8)
    assert [s.logprob for s in one] == pytest.approx([s.logprob for s in many], abs=1e-4)
    assert one[0].mean == pytest.approx(one[0].logprob / one[0].n_tokens)
    assert SequenceScore(logprob=0.0, n_tokens=0, token_logprobs=[]).mean == 0.0


def test_bad_scoring_input_is_an_input_error(llm):
    with pytest.raises(InputError):
        llm.sequence_logprobs_sync(["a", "b"], ["c"])
    with pytest.raises(InputError):
        llm.sequence_logprobs_sync(["a"], ["b"], batch_size=0)
    with pytest.raises(InputError):
        llm.sequence_logprobs_sync([""], ["b"])  # nothing to condition the first token on
    with pytest.raises(InputError):
        llm.token_topk_sync(["a"], k=0)


async def test_too_long_inputs_are_context_length_errors(llm):
    text = "word " * 2000
    with pytest.raises(ContextLengthError):
        await llm.generate(text, GenerateConfig(max_tokens=2))
    with pytest.raises(ContextLengthError):
        await llm.sequence_logprobs([text], [" more"])


async def test_token_topk_shapes_order_and_mass(llm):
    texts = ["The capital of France is Paris.", "Hi", PROMPTS[2]]
    results = await llm.token_topk(texts, k=5, batch_size=2)
    for text, result in zip(texts, results, strict=True):
        n = len(llm.tokenizer(text)["input_ids"])
        assert len(result.input_ids) == len(result.token_ids) == len(result.logprobs) == n
        assert len(result.tail_logprobs) == n
        reference = manual_logits(llm, result.input_ids)
        for j, (ids, values) in enumerate(zip(result.token_ids, result.logprobs, strict=True)):
            assert len(ids) == len(values) == 5
            assert values == sorted(values, reverse=True) and all(v <= 0 for v in values)
            assert ids[0] == int(reference[j].argmax())
            assert values == pytest.approx(reference[j, ids].tolist(), abs=1e-4)
            total = math.log(sum(math.exp(v) for v in [*values, result.tail_logprobs[j]]))
            assert total == pytest.approx(0.0, abs=1e-4)


def test_token_topk_takes_ids_and_temperature(llm):
    ids = llm.tokenizer("Students asked the teacher")["input_ids"]
    from_text = llm.token_topk_sync(["Students asked the teacher"], k=3)[0]
    from_ids = llm.token_topk_sync([ids], k=3)[0]
    assert from_ids.input_ids == ids and from_ids.token_ids == from_text.token_ids
    hot = llm.token_topk_sync([ids], k=3, temperature=2.0)[0]
    assert hot.temperature == 2.0
    assert hot.logprobs[0][0] < from_ids.logprobs[0][0]  # a flatter distribution


@pytest.mark.slow
async def test_embedded_tiny_is_the_real_smollm2_through_gguf():
    from lmforge.config import get_settings

    llm = HFLLM.from_spec("embedded-tiny")
    assert (get_settings().home / "hf" / "embedded-tiny" / "config.json").is_file()
    answer = await llm.generate(
        "What is the capital of France? Answer in one word.", GenerateConfig(max_tokens=16)
    )
    assert answer.text.strip()
    sensible, nonsense = await llm.sequence_logprobs(
        ["The capital of France is"] * 2, [" Paris", " banana"]
    )
    assert sensible.logprob > nonsense.logprob + 3
    assert sensible.n_tokens == nonsense.n_tokens == 1
