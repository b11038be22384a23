import pytest

from helpers import write_jsonl
from lmforge.errors import ConfigError, InputError
from lmforge.training import save_tiny_model
from lmforge.training.sft import SFTRecipe, load_messages, train_sft


def _conversations(path, n=8):
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"Count to {i}."},
                {"role": "assistant", "content": " ".join(str(j) for j in range(i + 1))},
            ]
        }
        for i in range(n)
    ]
    return write_jsonl(path, rows)


def test_sft_on_a_tiny_model_lowers_the_loss(tmp_path):
    model = save_tiny_model(tmp_path / "tiny")
    data = _conversations(tmp_path / "train.jsonl")
    result = train_sft(
        SFTRecipe(
            data=data,
            model=f"hf:{model}",
            output_dir=tmp_path / "out",
            max_steps=12,
            learning_rate=5e-3,
            batch_size=4,
            max_length=128,
        )
    )
    assert result["steps"] == 12
    losses = result["losses"]
    assert len(losses) == 12 and losses[-1] < losses[0]
    assert (tmp_path / "out" / "final" / "config.json").exists()


def test_bad_rows_name_file_and_line(tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": "x"}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2: field 'messages'"):
        load_messages(data)


def test_model_must_be_a_local_folder(tmp_path):
    data = _conversations(tmp_path / "train.jsonl", 2)
    with pytest.raises(ConfigError, match="hf:PATH"):
        train_sft(SFTRecipe(data=data, model="embedded"))
