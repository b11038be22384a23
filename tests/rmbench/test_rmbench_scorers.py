"""Scorers: heuristics, cross-record batching, and the model scorers on tiny random models.

The model tests compare every batched, padded number with an unbatched, unpadded forward pass
written here with plain torch: the ground truth a padding or masking mistake would break.
Models use init_std=0.2 so that attending to one wrong token visibly changes the output.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from lmforge.errors import ConfigError, StageError
from lmforge.rmbench.batching import MicroBatcher, length_batches
from lmforge.rmbench.scorers import ScorerOptions, get_scorer

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from lmforge.llm.hf import HFLLM  # noqa: E402
from lmforge.rmbench.classifier import ClassifierScorer  # noqa: E402
from lmforge.rmbench.dpo import DPOScorer  # noqa: E402
from lmforge.rmbench.tokens import conversation_ids, dpo_ids, prompt_ids  # noqa: E402
from lmforge.training import (  # noqa: E402
    save_tiny_model,
    tiny_llama,
    tiny_sequence_classifier,
    tiny_tokenizer,
)

PAIRS = [
    ("What is the capital of France?", "Paris."),
    ("What is the capital of France?", "The capital of France is Paris, on the Seine river."),
    ("Write a poem about the sea.", "Waves."),
    ("Hi", "Hello! How can I help you today? " * 4),
    ("Score this.", ""),
]


def test_heuristics():
    pairs = [("p", "short"), ("p", "## Title\n- one\n- two **bold**")]
    assert get_scorer("length").score_batch(pairs) == [5.0, 29.0]
    assert get_scorer("neg-length").score("p", "abc") == -3.0
    # '#' counts each hash (2), '**' twice (2), '\n- ' twice (2)
    assert get_scorer("markdown").score_batch(pairs) == [0.0, 6.0]
    with pytest.raises(ConfigError, match="unknown scorer spec 'bleu'"):
        get_scorer("bleu")
    with pytest.raises(ConfigError, match="no such model folder"):
        get_scorer("hf-classifier:/nonexistent/rm")


async def test_micro_batcher_pools_concurrent_records():
    calls: list[list[int]] = []

    def fn(items: list[int]) -> list[float]:
        calls.append(list(items))
        return [float(i) * 10 for i in items]

    batcher = MicroBatcher(fn, 16)
    records = [[r * 6 + k for k in (5, 0, 3, 1, 4, 2)] for r in range(5)]
    results = await asyncio.gather(*(batcher.submit(items) for items in records))
    assert results == [[i * 10.0 for i in items] for items in records]
    assert len(calls) == batcher.calls == 1 and sorted(calls[0]) == list(range(30))
    assert await batcher.submit([7]) == [70.0]  # a lone record is not left waiting


async def test_micro_batcher_failure_fails_its_pool_only():
    def fn(items: list[int]) -> list[float]:
        if 99 in items:
            raise RuntimeError("bad pool")
        return [0.0] * len(items)

    batcher = MicroBatcher(fn, 2)
    ok, bad = await asyncio.gather(
        batcher.submit([1, 2]), batcher.submit([98, 99]), return_exceptions=True
    )
    assert isinstance(bad, RuntimeError) and str(bad) == "bad pool"
    assert isinstance(ok, RuntimeError)  # same pool: both records fail, and can be retried
    assert await batcher.submit([1, 2]) == [0.0, 0.0]


async def test_micro_batcher_scorer_with_too_few_scores_fails_the_records():
    batcher = MicroBatcher(lambda items: [0.0], 1)
    with pytest.raises(StageError, match="scorer returned 1 scores for 2 items"):
        await batcher.submit([1, 2])


def test_length_batches_keep_similar_lengths_together():
    lengths = [512, 130, 512, 140, 512, 150, 512, 135, 600]
    batches = length_batches(lengths, 3)
    assert batches == [[1, 7, 3], [5], [0, 2, 4], [6, 8]]
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert length_batches([5] * 5, 2) == [[0, 1], [2, 3], [4]]


# --------------------------------------------------------------------------- classifier


@pytest.fixture(scope="module")
def classifier() -> ClassifierScorer:
    return ClassifierScorer(tiny_sequence_classifier(init_std=0.2), tiny_tokenizer())


def reference_reward(scorer: ClassifierScorer, ids: list[int]) -> float:
    """The score head at the last token of one unpadded sequence."""
    model = scorer.model
    with torch.no_grad():
        hidden = model.model(input_ids=torch.tensor([ids])).last_hidden_state
        return float(model.score(hidden[0, -1]))


def test_classifier_batched_equals_unpadded(classifier):
    batched = classifier.score_batch(PAIRS)
    truth = [reference_reward(classifier, ids) for ids in classifier.encode(PAIRS)]
    assert batched == pytest.approx(truth, abs=1e-5)
    assert len(set(round(v, 6) for v in batched)) == len(PAIRS)  # not all one number
    text = classifier.tokenizer.decode(classifier.encode(PAIRS[:1])[0])
    assert text.startswith("<|im_start|>user\nWhat is") and "assistant\nParis." in text


@pytest.mark.parametrize("path", ["causal", "general"])
def test_classifier_with_pad_equal_to_eos_reads_the_real_last_token(path):
    """A tokenizer padding with its EOS and a text ending in EOS: the case where reading the
    last non-pad id picks the wrong token (reward-bench#115). Both pooling paths: right padding
    without a mask (decoder heads) and left padding with one (any other classifier)."""
    tok = tiny_tokenizer()
    tok.pad_token = tok.eos_token
    tok.chat_template = None  # Tulu layout, which ends with EOS
    model = tiny_sequence_classifier(init_std=0.2)
    model.config.pad_token_id = tok.eos_token_id
    scorer = ClassifierScorer(model, tok, batch_size=4)
    assert scorer._causal is not None
    if path == "general":
        scorer._causal = None
    ids = scorer.encode(PAIRS[:1])[0]
    assert ids[-1] == tok.eos_token_id
    assert tok.decode(ids).startswith("<|user|>\nWhat is the capital of France?\n<|assistant|>\n")
    truth = [reference_reward(scorer, s) for s in scorer.encode(PAIRS)]
    assert scorer.score_batch(PAIRS) == pytest.approx(truth, abs=1e-5)
    with torch.no_grad():  # what transformers' own pooling would have read: not the EOS
        own = model(input_ids=torch.tensor([ids])).logits[0, 0].item()
    assert own != pytest.approx(truth[0], abs=1e-5)


def test_classifier_truncates_from_the_left(classifier):
    long = ("Tell me everything about the sea. " * 40, "It is wide and deep and blue.")
    short_limit = ClassifierScorer(classifier.model, classifier.tokenizer, max_length=32)
    full = conversation_ids(classifier.tokenizer, *long, 10_000)
    assert short_limit.encode([long])[0] == full[-32:]
    assert short_limit.score(*long) == pytest.approx(
        reference_reward(classifier, full[-32:]), abs=1e-5
    )
    assert classifier.max_length == 512  # the tiny model's positions, not the asked 2048


def test_classifier_from_folder_and_one_output_only(tmp_path):
    tiny_sequence_classifier().save_pretrained(tmp_path)
    tiny_tokenizer().save_pretrained(tmp_path)
    scorer = get_scorer(f"hf-classifier:{tmp_path}", ScorerOptions(batch_size=2))
    assert isinstance(scorer, ClassifierScorer) and scorer.batch_size == 2
    assert isinstance(scorer.score(*PAIRS[0]), float)
    with pytest.raises(ConfigError, match="has 2"):
        ClassifierScorer(tiny_sequence_classifier(num_labels=2), tiny_tokenizer())


# --------------------------------------------------------------------------- DPO


@pytest.fixture(scope="module")
def models() -> tuple[HFLLM, HFLLM]:
    tok = tiny_tokenizer()
    policy = HFLLM(tiny_llama(seed=0, init_std=0.2), tok, spec="hf:policy")
    ref = HFLLM(tiny_llama(seed=1, init_std=0.2), tiny_tokenizer(), spec="hf:ref")
    return policy, ref


def reference_logprobs(llm: HFLLM, head: list[int], tail: list[int]) -> list[float]:
    with torch.no_grad():
        logits = llm.model(input_ids=torch.tensor([head + tail])).logits[0].float()
    logp = torch.log_softmax(logits, dim=-1)
    return [float(logp[len(head) + k - 1, t]) for k, t in enumerate(tail)]


def test_dpo_reward_is_policy_minus_reference(models):
    policy, ref = models
    scorer = DPOScorer(policy, ref, batch_size=3)
    assert scorer.spec == "dpo:policy,ref"
    heads, tails = scorer.encode(PAIRS)
    assert all(t[-1] == policy.tokenizer.eos_token_id for t in tails)  # EOS is scored
    truth = [
        sum(reference_logprobs(policy, h, t)) - sum(reference_logprobs(ref, h, t))
        for h, t in zip(heads, tails, strict=True)
    ]
    assert scorer.score_batch(PAIRS) == pytest.approx(truth, abs=1e-4)
    one_by_one = DPOScorer(policy, ref, batch_size=1)
    assert one_by_one.score_batch(PAIRS) == pytest.approx(truth, abs=1e-4)


@pytest.mark.parametrize("mode", ["avg", "sum", "norm"])
def test_dpo_reference_free_variants(models, mode):
    policy, _ = models
    scorer = DPOScorer(policy, ref_free=mode)
    heads, tails = scorer.encode(PAIRS[:3])
    tokens = [reference_logprobs(policy, h, t) for h, t in zip(heads, tails, strict=True)]
    expected = {
        "avg": [sum(v) / len(v) for v in tokens],
        "sum": [sum(v) for v in tokens],
        "norm": [-math.sqrt(sum(x * x for x in v)) for v in tokens],
    }[mode]
    assert scorer.score_batch(PAIRS[:3]) == pytest.approx(expected, abs=1e-4)


def test_dpo_truncation_limits(models):
    """Official limits: too long -> prompt keeps its last 128; still too long -> the response
    keeps its first max_length - 128. Each response decides on its own length."""
    tok = models[0].tokenizer
    head = prompt_ids(tok, "Describe the sea. " * 100)
    assert len(head) > 128
    short = dpo_ids(tok, head, "Blue.", 2048, 128)
    assert short[0] == head  # fits: nothing cut
    cut_head, tail = dpo_ids(tok, head, "Waves roll in. " * 8, 256, 128)
    assert cut_head == head[-128:] and len(tail) < 128
    cut_head, tail = dpo_ids(tok, head, "Waves roll in. " * 200, 256, 128)
    assert cut_head == head[-128:] and len(tail) == 128  # 256 - 128
    scorer = DPOScorer(models[0], max_length=4096)
    assert scorer.max_length == 512  # capped by the tiny model's positions
    scores = scorer.score_batch([("Describe the sea. " * 100, "Waves roll in. " * 200)])
    assert math.isfinite(scores[0])


def test_dpo_from_folders(tmp_path):
    save_tiny_model(tmp_path / "p", seed=0)
    save_tiny_model(tmp_path / "r", seed=1)
    options = ScorerOptions(ref_free="sum")
    scorer = get_scorer(f"dpo:{tmp_path / 'p'},{tmp_path / 'r'}", options)
    assert isinstance(scorer, DPOScorer) and scorer.ref is not None
    assert scorer.params["ref_free"] is None  # the reference decides, not the ref-free mode
    free = get_scorer(f"dpo:{tmp_path / 'p'}", options)
    assert free.ref is None and free.params["ref_free"] == "sum"
    with pytest.raises(ConfigError, match="must differ"):
        get_scorer(f"dpo:{tmp_path / 'p'},{tmp_path / 'p'}")
