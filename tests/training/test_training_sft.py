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


@pytest.mark.slow  # two tiny trainings in subprocesses: ~15-20 s on 2 cores
def test_train_sft_verb_and_the_crab_alias(tmp_path):
    """`lmforge train sft` takes --config/--set, writes config.yaml beside the model, and
    `lmforge crab train-sft` (the old verb) runs the same recipe."""
    import yaml

    from helpers import lmforge_cli

    model = save_tiny_model(tmp_path / "tiny")
    data = _conversations(tmp_path / "train.jsonl", 4)
    for verb, out in ((["train", "sft"], "new"), (["crab", "train-sft"], "old")):
        result = lmforge_cli(
            *verb, "--data", data, "--model", f"hf:{model}", "--output-dir", tmp_path / out,
            "--max-steps", "2", "--max-length", "64", "--set", "learning_rate=0.005",
            cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()  # the trainer logs its own dicts before ours
        assert lines[-3] == "steps: 2" and lines[-2].startswith("train_loss: ")
        saved = yaml.safe_load((tmp_path / out / "config.yaml").read_text())
        assert saved["learning_rate"] == 0.005 and saved["max_steps"] == 2
    bad = lmforge_cli("train", "sft", "--data", data, "--model", "embedded", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "hf:PATH" in bad.stderr
