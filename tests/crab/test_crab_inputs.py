"""CRAB's commands behind the input gate: bad input is one line, exit 2, nothing written."""

from __future__ import annotations

import json

import pytest

from helpers import lmforge_cli, refused, run_python, write_jsonl

USER = {"role": "user", "content": "Write a haiku about rain."}
ASSISTANT = {"role": "assistant", "content": "Soft rain on the roof."}
ITEM = {
    "id": 1,
    "messages": [USER, ASSISTANT],
    "Aug_instruction": {
        "Refined_Instruction": USER["content"],
        "Additional_Instruction": {"Specific_Sentence": "End the poem with the word roof."},
    },
}


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"instruction": ["x", 1], "response": "r"}, "instruction"),
        ({"instruction": "i", "response": "r", "id": [1]}, "id"),
        ({"instruction": "i", "response": "r", "source": None}, "source"),
        ({"messages": [USER, {"role": "assistant", "content": 1.9}]}, "messages[1].content"),
    ],
)
def test_backtranslate_refuses_a_badly_typed_pair_before_any_run_folder(tmp_path, row, field):
    pairs = write_jsonl(tmp_path / "pairs.jsonl", [{"instruction": "i", "response": "r"}, row])
    result = lmforge_cli(
        "crab", "backtranslate", "--input", pairs, "--model", "scripted", cwd=tmp_path
    )
    refused(result, "pairs.jsonl:2", f"field '{field}'")
    assert not (tmp_path / "runs").exists()


def test_backtranslate_probe_pair_is_outside_its_shard():
    """The probe checks the whole file and answers nothing: its pair (and the suite's U+2028 and
    U+0085 variants of it) hash outside shard 0 of 1000."""
    from lmforge.crab.cli import PROBES
    from lmforge.crab.pairs import pair_from_row
    from lmforge.pipeline.shards import shard_of

    probe = PROBES["backtranslate"]
    assert probe.args[probe.args.index("--shard") + 1] == "0/1000"
    row = probe.samples["input"][0]
    text = row["instruction"]
    for bent in (text, text[:1] + "\u2028" + text[1:], text[:1] + "\u0085" + text[1:]):
        pair = pair_from_row({**row, "instruction": bent}, path="x", line=1)
        assert shard_of(pair["id"], 1000) != 0


def test_compose_refuses_bad_extra_conversations_and_writes_nothing(tmp_path):
    items = write_jsonl(tmp_path / "items.jsonl", [ITEM])
    extra = write_jsonl(tmp_path / "extra.jsonl", [{"messages": None}])
    out = tmp_path / "train.jsonl"
    stages = tmp_path / "stages"
    result = lmforge_cli(
        "crab", "compose", "--input", items, "--extra", extra, "--output", out,
        "--stages-dir", stages, cwd=tmp_path,
    )  # fmt: skip
    refused(result, "extra.jsonl:1", "field 'messages'")
    assert not out.exists() and not stages.exists()


def test_compose_refuses_an_output_folder_before_writing_the_stages(tmp_path):
    items = write_jsonl(tmp_path / "items.jsonl", [ITEM])
    (tmp_path / "train.jsonl").mkdir()
    result = lmforge_cli(
        "crab", "compose", "--input", items, "--output", tmp_path / "train.jsonl",
        "--stages-dir", tmp_path / "stages", cwd=tmp_path,
    )  # fmt: skip
    refused(result, "train.jsonl", "folder")
    assert not (tmp_path / "stages").exists()


def test_compose_reads_items_through_a_pipe_with_unicode_separators(tmp_path):
    """``/dev/stdin`` is read once; U+2028 and U+0085 inside strings are text, not line ends."""
    item = json.loads(json.dumps(ITEM))
    item["messages"][1]["content"] = "Soft rain\u2028on the\u0085roof."
    out = tmp_path / "train.jsonl"
    result = lmforge_cli(
        "crab", "compose", "--input", "/dev/stdin", "--output", out, cwd=tmp_path,
        stdin=json.dumps(item, ensure_ascii=False) + "\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = json.loads(out.read_text(encoding="utf-8").split("\n")[0])
    assert row["messages"][1]["content"] == "Soft rain\u2028on the\u0085roof."


def test_ifeval_refuses_a_badly_typed_key(tmp_path):
    inputs = write_jsonl(
        tmp_path / "in.jsonl",
        [{"key": [1], "prompt": "p", "instruction_id_list": [], "kwargs": []}],
    )
    responses = write_jsonl(tmp_path / "resp.jsonl", [{"prompt": "p", "response": "r"}])
    result = lmforge_cli("crab", "ifeval", "--inputs", inputs, "--responses", responses)
    refused(result, "in.jsonl:1", "field 'key'")


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"messages": None}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "bot", "content": "hi"}]}, "messages.0.role"),
        ({"messages": [{"role": "user", "content": 1.9}]}, "messages.0.content"),
    ],
)
def test_train_sft_refuses_bad_rows_in_one_line(tmp_path, row, field):
    data = write_jsonl(tmp_path / "train.jsonl", [row])
    result = lmforge_cli(
        "crab", "train-sft", "--data", data, "--model", "hf:/no/such/model",
        "--output-dir", tmp_path / "out", cwd=tmp_path,
    )  # fmt: skip
    refused(result, "train.jsonl:1", f"field '{field}'")
    assert not (tmp_path / "out").exists()


def test_train_sft_checks_data_and_model_before_importing_torch(tmp_path):
    """A bad row, or no model folder, costs no torch/TRL start-up (~10 s)."""
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"messages": "x"}])
    good = write_jsonl(tmp_path / "good.jsonl", [{"messages": [USER, ASSISTANT]}])
    code = f"""
import sys
from lmforge.errors import LMForgeError
from lmforge.training.sft import SFTRecipe, train_sft
for data in ({str(bad)!r}, {str(good)!r}):
    try:
        train_sft(SFTRecipe(data=data, model="hf:/no/such/model"))
    except LMForgeError as exc:
        print(type(exc).__name__)
print(sorted(m for m in ("torch", "transformers", "trl") if m in sys.modules))
"""
    assert run_python(code).stdout.split() == ["InputError", "ConfigError", "[]"]


def test_ifeval_with_prompts_that_failed_exits_3_before_scoring(tmp_path):
    """A score over part of the answers would be a wrong number: the run stops with exit 3,
    the error rows and the rerun named (a server that is down fails every prompt)."""
    from lmforge.crab.cli import _IFEVAL_INPUT

    inputs = write_jsonl(tmp_path / "in.jsonl", [_IFEVAL_INPUT])
    out = tmp_path / "run"
    done = lmforge_cli(
        "crab",
        "ifeval",
        "--inputs",
        inputs,
        "--model",
        "openai:m@http://127.0.0.1:9/v1",
        "--out",
        out,
        "-q",
        cwd=tmp_path,
    )
    assert done.returncode == 3, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: 1 of 1 records failed") and f"--out {out}" in last
