"""CRAB composition on the official 20-item stage-6 sample (shared data), replicated for the
paper-size mix; and the composed file going through the SFT loader and a tiny TRL run."""

from __future__ import annotations

import json
import random

import pytest

from helpers import write_jsonl
from lmforge.crab.compose import (
    PAPER_MAX_NUM,
    compose_file,
    compose_training_data,
    forward_examples,
    load_compose_items,
    mix,
    mix_counts,
    reverse_examples,
    reverse_texts,
    shot_map,
)

SAMPLE = ("crab", "reference", "constraint_back_translation_sample.json")


@pytest.fixture(scope="module")
def sample(test_data):
    return load_compose_items(test_data.joinpath(*SAMPLE))


def keyed(items):
    return {f"{it['id']}_{it['source']}": it for it in items}


def test_sample_loads_with_its_official_fields(sample):
    assert len(sample) == 20
    assert {it["source"] for it in sample} == {"oasst2", "alpaca", "wizardLM", "orca_chat"}
    assert sum(it["overlap"] for it in sample) == 1


@pytest.mark.parametrize("seed", range(5))
def test_forward_counts_targets_and_shots_on_the_sample(sample, seed):
    by_key = keyed(sample)
    rows = forward_examples(sample, random.Random(seed), diverse_rate=0.0)
    shots = [k for r in rows for k in r["shots"]]
    roots = {r["id"].removesuffix("_forward") + "_" + r["source"] for r in rows}
    assert len(shots) == len(set(shots)) and not roots & set(shots)
    assert len(roots) + len(shots) == 20
    for row in rows:
        root = by_key[row["id"].removesuffix("_forward") + "_" + row["source"]]
        n = len(root["Aug_instruction"]["Additional_Instruction"])
        assert min(6, n) <= row["Num_Cons"] <= min(8, n)
        turns = [*row["shots"], f"{root['id']}_{root['source']}"]
        answers = [m["content"] for m in row["messages"][1::2]]
        assert answers == [by_key[k]["messages"][1]["content"] for k in turns]


def check_targets(row, by_key):
    specs = {s.name: s for group in reverse_texts().specs.values() for s in group}
    spec = specs[row["_meta"]["spec"]]
    for turn, answer in zip(row["_meta"]["turns"], row["messages"][1::2], strict=True):
        item = by_key[turn["key"]]
        expected = [item["Aug_instruction"]["Additional_Instruction"][t] for t in turn["types"]]
        if spec.json_keys is not None:
            parsed = json.loads(answer["content"])  # valid JSON, quotes round-trip
            if "constraints" in spec.json_keys:
                assert parsed[spec.json_keys["constraints"]] == expected
            continue
        pos = 0
        for n, sentence in enumerate(expected, start=1):
            pos = answer["content"].find(spec.item.format(index=n, item=sentence), pos) + 1
            assert pos > 0, (spec.name, sentence)


def test_reverse_targets_on_the_sample(sample):
    by_key = keyed(sample)
    seen_specs, quoted_json = set(), 0
    for seed in range(60):
        forward = forward_examples(sample, random.Random(seed))
        for row in reverse_examples(sample, random.Random(seed), shot_map(forward)):
            check_targets(row, by_key)
            assert "Word" not in row["_meta"]["types"]
            seen_specs.add(row["_meta"]["spec"])
            if row["_meta"]["spec"] in ("combined/1", "combined/4", "constraints_only/1"):
                quoted_json += any('\\"' in m["content"] for m in row["messages"][1::2])
    assert len(seen_specs) == 19  # every output spec used
    assert quoted_json > 0  # Keyword constraints quote their keywords: escaped, parseable


def test_faithful_quirks_give_the_official_invalid_json(sample):
    broken = 0
    for seed in range(60):
        forward = forward_examples(sample, random.Random(seed))
        rows = reverse_examples(
            sample, random.Random(seed), shot_map(forward), faithful_quirks=True
        )
        for row in rows:
            if row["_meta"]["spec"] not in ("combined/1", "combined/4", "constraints_only/1"):
                continue
            for answer in row["messages"][1::2]:
                try:
                    json.loads(answer["content"])
                except json.JSONDecodeError:
                    broken += 1
    assert broken > 0


def replicate(sample, times):
    return [{**it, "id": f"{it['id']}-{r}"} for r in range(times) for it in sample]


def test_paper_mix_sizes_from_replicated_sample_items(sample):
    big = replicate(sample, 1500)  # 30,000 items -> about 15,000 forward roots
    forward = forward_examples(big, random.Random(1))
    assert len(forward) >= PAPER_MAX_NUM
    reverse = reverse_examples(big, random.Random(2), shot_map(forward))
    rows = mix(forward, reverse, random.Random(36), max_num=PAPER_MAX_NUM)
    assert mix_counts(rows) == {"forward": 9450, "reverse": 4050, "extra": 0}
    used = set()
    for row in rows[:9450]:
        used.add(row["id"].removesuffix("_forward") + "_" + row["source"])
    for row in forward:
        if row["id"].removesuffix("_forward") + "_" + row["source"] in used:
            used.update(row["shots"])
    reverse_keys = [r["id"].removesuffix("_reverse") + "_" + r["source"] for r in rows[9450:]]
    assert not used & set(reverse_keys)


def test_compose_is_deterministic_and_trl_shaped(sample, test_data, tmp_path):
    from lmforge.training.sft import load_messages

    rows = compose_training_data(sample, seed=7)
    assert rows == compose_training_data(sample, seed=7)
    assert rows != compose_training_data(sample, seed=8)
    for row in rows:
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["user", "assistant"] * (len(roles) // 2)
        assert all(isinstance(m["content"], str) and m["content"] for m in row["messages"])
    counts = compose_file(test_data.joinpath(*SAMPLE), tmp_path / "train.jsonl", seed=7)
    assert len(load_messages(tmp_path / "train.jsonl")) == counts["rows"] == len(rows)
    assert counts["forward"] + counts["reverse"] == counts["rows"] and counts["reverse"] > 0


@pytest.mark.slow
def test_composed_sample_trains_a_tiny_model_with_trl(sample, tmp_path):
    from lmforge.training import save_tiny_model
    from lmforge.training.sft import SFTRecipe, train_sft

    rows = compose_training_data(sample, seed=36)
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    model = save_tiny_model(tmp_path / "tiny")
    result = train_sft(
        SFTRecipe(
            data=data,
            model=f"hf:{model}",
            output_dir=tmp_path / "out",
            max_steps=2,
            batch_size=2,
            max_length=256,
        )
    )
    assert result["steps"] == 2 and all(loss > 0 for loss in result["losses"])
