"""DPO on a tiny model (TRL DPOTrainer, reference log-probs precomputed): the loss falls and
the chosen-minus-rejected margin grows; the mix file joins the data; bad rows stop early."""

import pytest

from helpers import write_jsonl
from lmforge.errors import ConfigError, InputError
from lmforge.training import save_tiny_model
from lmforge.training.dpo import DPORecipe, load_preferences, train_dpo


def _pairs(path, n=4, offset=0):
    rows = [
        {
            "prompt": [{"role": "user", "content": f"Is {i + offset} even?"}],
            "chosen": [{"role": "assistant", "content": "yes" if (i + offset) % 2 == 0 else "no"}],
            "rejected": [{"role": "assistant", "content": "banana banana banana"}],
        }
        for i in range(n)
    ]
    return write_jsonl(path, rows)


def test_dpo_on_a_tiny_model_lowers_the_loss_and_grows_the_margin(tmp_path):
    model = save_tiny_model(tmp_path / "tiny")
    long_pairs = _pairs(tmp_path / "long.jsonl")
    short = write_jsonl(  # the standard (string) form mixes with the conversational one
        tmp_path / "short.jsonl",
        [{"prompt": "Say yes.", "chosen": "yes", "rejected": "banana banana banana"}] * 4,
    )
    result = train_dpo(
        DPORecipe(
            data=long_pairs,
            mix=short,
            model=f"hf:{model}",
            output_dir=tmp_path / "out",
            max_steps=8,
            learning_rate=5e-3,
            batch_size=4,
            max_length=64,
            beta=0.1,
        )
    )
    assert result["steps"] == 8 and (result["pairs"], result["mixed"]) == (4, 4)
    losses, margins = result["losses"], result["margins"]
    assert len(losses) == len(margins) == 8
    assert losses[-1] < losses[0] and margins[-1] > margins[0]
    assert (tmp_path / "out" / "final" / "config.json").exists()


def test_rows_are_checked_before_training(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"prompt": "p", "chosen": "a", "rejected": "b"}\n{"prompt": "p", "chosen": 3}\n'
    )
    with pytest.raises(InputError, match=r"bad.jsonl:2: field 'chosen'"):
        load_preferences(bad)
    rows = load_preferences(_pairs(tmp_path / "ok.jsonl", 1))
    assert rows[0]["rejected"] == [{"role": "assistant", "content": "banana banana banana"}]
    with pytest.raises(ConfigError, match="hf:PATH"):
        train_dpo(DPORecipe(data=tmp_path / "ok.jsonl", model="embedded"))
