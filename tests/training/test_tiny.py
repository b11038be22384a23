"""The tiny builders must behave like real models and tokenizers, or the tests built on them lie."""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import lmforge.training as training  # noqa: E402
from lmforge.training import (  # noqa: E402
    save_tiny_model,
    tiny_llama,
    tiny_sequence_classifier,
    tiny_tokenizer,
)


def test_exports_are_the_documented_names():
    assert sorted(training.__all__) == [
        "CHATML_TEMPLATE",
        "DPORecipe",
        "SFTRecipe",
        "load_messages",
        "load_preferences",
        "save_tiny_llava",
        "save_tiny_model",
        "tiny_llama",
        "tiny_llama_config",
        "tiny_sequence_classifier",
        "tiny_tokenizer",
        "train_dpo",
        "train_sft",
    ]
    assert all(hasattr(training, name) for name in training.__all__)


def test_importing_training_does_not_import_torch():
    code = "import sys, lmforge.training; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize(
    "text",
    ["The capital of France is Paris.", "héllo 世界 🚀\n\tx = {'a': [1, 2]}", "", "   "],
)
def test_tokenizer_round_trips_any_text(text):
    tok = tiny_tokenizer()
    ids = tok(text)["input_ids"]
    assert tok.decode(ids) == text
    assert all(0 <= i < len(tok) for i in ids)


def test_tokenizer_learned_merges_and_special_tokens():
    tok = tiny_tokenizer()
    # merges: common words are far fewer tokens than bytes
    assert len(tok("The capital of France")["input_ids"]) < len("The capital of France") / 2
    assert tok.pad_token_id is not None and tok.eos_token_id is not None
    assert tok.pad_token_id != tok.eos_token_id
    assert tok("<|im_start|>")["input_ids"] == [tok.convert_tokens_to_ids("<|im_start|>")]


def test_tokenizer_is_deterministic():
    assert tiny_tokenizer().get_vocab() == tiny_tokenizer().get_vocab()


def test_chat_template_is_chatml():
    tok = tiny_tokenizer()
    text = tok.apply_chat_template(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        add_generation_prompt=True,
        tokenize=False,
    )
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_tiny_llama_matches_tokenizer_and_is_seeded():
    tok = tiny_tokenizer()
    a, b, c = tiny_llama(seed=0), tiny_llama(seed=0), tiny_llama(seed=1)
    assert a.config.vocab_size == len(tok)
    assert a.config.pad_token_id == tok.pad_token_id
    assert a.config.eos_token_id == tok.eos_token_id
    assert sum(p.numel() for p in a.parameters()) < 1_000_000
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_tiny_llama_leaves_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    tiny_llama(seed=7)
    assert torch.equal(torch.rand(3), expected)


def test_tiny_llama_custom_vocab_and_size():
    model = tiny_llama(vocab_size=1000, hidden=32, layers=1, heads=2)
    logits = model(torch.tensor([[1, 2, 999]])).logits
    assert logits.shape == (1, 3, 1000)
    assert model.config.num_hidden_layers == 1 and model.config.hidden_size == 32


def test_save_tiny_model_reloads_identically(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    save_tiny_model(tmp_path, seed=3)
    model = AutoModelForCausalLM.from_pretrained(tmp_path, local_files_only=True)
    tok = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    assert tok.get_vocab() == tiny_tokenizer().get_vocab()
    assert tok.chat_template == training.CHATML_TEMPLATE
    ids = torch.tensor([tok("Hello world")["input_ids"]])
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, tiny_llama(seed=3)(ids).logits, atol=1e-6)


def test_sequence_classifier_scores_padded_batches_like_single_rows():
    tok = tiny_tokenizer()
    model = tiny_sequence_classifier(seed=0, init_std=0.2)
    assert model.config.pad_token_id == tok.pad_token_id
    texts = ["A short one.", "A much longer text that needs several more tokens than that."]
    batch = tok(texts, padding=True, return_tensors="pt")
    assert (batch["attention_mask"] == 0).any()  # the batch really is padded
    with torch.no_grad():
        batched = model(**batch).logits[:, 0]
        single = [model(torch.tensor([tok(t)["input_ids"]])).logits[0, 0] for t in texts]
    assert batched.shape == (2,)
    assert torch.allclose(batched, torch.stack(single), atol=1e-5)
    assert not torch.isclose(single[0], single[1])
