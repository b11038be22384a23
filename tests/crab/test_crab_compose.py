"""CRAB composition (stages 2a-2c) on hand-written tiny items: no shared data needed.

The checks are the spec's structural invariants: constraint counts per turn, the
refined-instruction probability, shots never becoming roots, reverse targets listing exactly the
sampled constraints in order, valid JSON targets, mix sizes, determinism by seed.
"""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from helpers import write_jsonl
from lmforge.crab.compose import (
    OTHERS,
    compose_file,
    compose_training_data,
    forward_examples,
    forward_texts,
    load_compose_items,
    load_conversations,
    mix,
    mix_counts,
    reverse_examples,
    reverse_texts,
    serialise_target,
    shot_map,
    type_weights,
)
from lmforge.crab.compose.items import parse_items
from lmforge.errors import InputError

OFFICIAL = [
    "Desired_Writing_Style",
    "Semantic_elements",
    "Morphological_Constraints",
    "Multi-lingual_Constraints",
    "Hierarchical_Instructions",
    "Special_Output_Format",
    "Paragraphs_Constraints",
    "Specific_Sentence",
    "Key_Formatting",
    "Item_Listing_Details",
    "Digit",
    "Keyword",
    "Punctuation",
    "Paragraph",
    "Sentence",
]


def make_item(i, types=None, *, source="tiny", overlap=0, short_refined=False, **extra):
    types = OFFICIAL[:10] + ["Word", "Target_Audience"] if types is None else types
    refined = "Refined ask" if short_refined else f"Refined request {i} with many more words"
    return {
        "id": i,
        "source": source,
        "overlap": overlap,
        "messages": [
            {"role": "user", "content": f"Original request number {i} please"},
            {"role": "assistant", "content": f"Answer number {i}."},
        ],
        "Aug_instruction": {
            "Refined_Instruction": refined,
            "Additional_Instruction": {t: f"Rule {t} of item {i} holds." for t in types},
        },
        **extra,
    }


def constraints_in(text, item):
    return [t for t, s in item["Aug_instruction"]["Additional_Instruction"].items() if s in text]


def test_layout_files_have_the_official_counts():
    fwd, rev = forward_texts(), reverse_texts()
    assert (len(fwd.basic_layouts), len(fwd.basic_connectors)) == (2, 5)
    assert (len(fwd.layouts), len(fwd.connectors), len(fwd.long_layouts)) == (8, 7, 3)
    assert (len(rev.overviews), len(rev.refine_tasks), len(rev.add_tasks)) == (11, 11, 10)
    assert len(rev.input_layouts) == 15
    assert {g: len(s) for g, s in rev.specs.items()} == {
        "combined": 9,
        "refined_only": 5,
        "constraints_only": 5,
    }
    assert set(rev.type_descriptions) == {*OFFICIAL, OTHERS}  # Word is not eligible
    assert all(4 <= len(v) <= 6 for v in rev.type_descriptions.values())
    assert len(rev.type_descriptions["Keyword"]) == 5  # Q5: official fused two strings into 4


def test_forward_main_branch_counts_targets_and_shots():
    items = [make_item(i) for i in range(300)]
    rows = forward_examples(items, random.Random(0), diverse_rate=0.0)
    by_key = {f"{it['id']}_tiny": it for it in items}
    roots = {r["id"].removesuffix("_forward") + "_tiny" for r in rows}
    shots = [k for r in rows for k in r["shots"]]
    assert len(shots) == len(set(shots)) and not roots & set(shots)
    assert len(roots) + len(shots) == len(items)  # every item is used exactly once
    assert 0.35 < sum(bool(r["shots"]) for r in rows) / len(rows) < 0.65  # icl_rate 0.5
    for row in rows:
        turns = [*row["shots"], row["id"].removesuffix("_forward") + "_tiny"]
        users = row["messages"][0::2]
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"] * len(turns)
        for key, answer in zip(turns, row["messages"][1::2], strict=True):
            assert answer["content"] == by_key[key]["messages"][1]["content"]  # untouched
        pairs = zip(users, turns, strict=True)
        counts = [len(constraints_in(u["content"], by_key[k])) for u, k in pairs]
        assert counts[-1] == row["Num_Cons"] and 6 <= row["Num_Cons"] <= 8
        assert counts[:-1] == sorted(counts[:-1]) and all(c < counts[-1] for c in counts[:-1])
        root_pos = int(turns[-1].split("_")[0])
        assert all(int(k.split("_")[0]) > root_pos for k in row["shots"])  # later items


def test_forward_counts_respect_small_items_and_the_shot_floor():
    items = [make_item(i, OFFICIAL[:2]) for i in range(40)]
    rows = forward_examples(items, random.Random(3), diverse_rate=0.0, icl_rate=0.0)
    assert {r["Num_Cons"] for r in rows} == {2}  # [min(6, L), min(8, L)] with L = 2
    items = [make_item(i, OFFICIAL) for i in range(400)]
    rows = forward_examples(items, random.Random(4), diverse_rate=1.0, icl_rate=1.0)
    assert all(r["Num_Cons"] >= 3 for r in rows if r["shots"])  # k raised to >= 3
    assert min(r["Num_Cons"] for r in rows if not r["shots"]) == 1  # [1, L] branch


@pytest.mark.parametrize(("overlap", "expected"), [(0, 0.7), (3, 0.4), (7, 0.0)])
def test_refined_instruction_probability(overlap, expected):
    items = [make_item(i, overlap=overlap) for i in range(3000)]
    rows = forward_examples(items, random.Random(5), icl_rate=0.0)
    refined = sum("Refined request" in r["messages"][0]["content"] for r in rows)
    assert abs(refined / len(rows) - expected) < 0.03


def test_shorter_refined_instruction_means_original_and_a_long_layout():
    items = [make_item(i, short_refined=True) for i in range(200)]
    long_texts = {layout.text for layout in forward_texts().long_layouts}
    rows = forward_examples(items, random.Random(6), icl_rate=0.0)
    for row in rows:
        user = row["messages"][0]["content"]
        assert "Original request" in user and "Refined ask" not in user
    first_lines = Counter(r["messages"][0]["content"].startswith("Rule") for r in rows)
    assert first_lines[True] > 0 and first_lines[False] > 0  # constraints first, or after
    assert len(long_texts) == 3


def test_type_weights_down_weight_frequent_types():
    items = parse_items([make_item(i, ["A", "B"] if i < 8 else ["A"]) for i in range(10)])
    assert type_weights(items) == {"A": 1.0, "B": 0.8}
    assert type_weights(items, {"A": 2, "C": 9}) == {"A": 0.5, "C": 0.9}
    items = [make_item(i, ["A", "B"] if i % 2 else ["A", "C"]) for i in range(2000)]
    rows = forward_examples(
        items, random.Random(7), diverse_rate=0.0, max_number=1, min_number=1, icl_rate=0.0
    )
    picked = Counter(
        t
        for r, it in zip(rows, items, strict=True)
        for t in constraints_in(r["messages"][0]["content"], it)
    )
    assert sum(picked.values()) == len(rows)
    # weight 1.0 against 0.5: A wins only when random() - 1 > random() - 0.5, p = 1/8
    assert 0.09 < picked["A"] / len(rows) < 0.16


def check_reverse_row(row, by_key, faithful_quirks=False):
    specs = {s.name: s for group in reverse_texts().specs.values() for s in group}
    spec = specs[row["_meta"]["spec"]]
    answers = row["messages"][1::2]
    for turn, answer in zip(row["_meta"]["turns"], answers, strict=True):
        item = by_key[turn["key"]]
        extra = item["Aug_instruction"]["Additional_Instruction"]
        expected = [extra[t] for t in turn["types"]]
        target = answer["content"]
        if spec.json_keys is not None:
            obj = json.loads(target)
            if "constraints" in spec.json_keys:
                assert obj[spec.json_keys["constraints"]] == expected
            if "refined" in spec.json_keys:
                assert (
                    obj[spec.json_keys["refined"]] == item["Aug_instruction"]["Refined_Instruction"]
                )
            continue
        form = spec.quirk_item if faithful_quirks and spec.quirk_item else spec.item
        pos = 0
        for n, sentence in enumerate(expected, start=1):
            found = target.find(form.format(index=n, item=sentence), pos)
            assert found >= 0, (spec.name, sentence, target)
            pos = found + 1
        if row["_meta"]["refine"]:
            assert item["Aug_instruction"]["Refined_Instruction"] in target


def test_reverse_targets_list_the_sampled_constraints_in_order():
    items = [make_item(i, OFFICIAL[: 6 + i % 10] + ["Word"]) for i in range(400)]
    by_key = {f"{it['id']}_tiny": it for it in items}
    forward = forward_examples(items, random.Random(8))
    rows = reverse_examples(items, random.Random(9), shot_map(forward))
    assert len(rows) == len(forward)
    for row in rows:
        check_reverse_row(row, by_key)
        plan_types = row["_meta"]["types"]
        keys = [t["key"] for t in row["_meta"]["turns"]]
        assert keys == [*row["shots"], row["id"].removesuffix("_reverse") + "_tiny"]
        for t in plan_types:
            assert t == OTHERS or all(
                t in by_key[k]["Aug_instruction"]["Additional_Instruction"] for k in keys
            )
        assert "Word" not in plan_types
    flags = Counter((r["_meta"]["overview"], r["_meta"]["refine"]) for r in rows)
    overview = sum(v for (o, _), v in flags.items() if o) / len(rows)
    refine = sum(v for (_, r), v in flags.items() if r) / len(rows)
    assert 0.6 < overview < 0.8 and 0.2 < refine < 0.4
    assert all(r["_meta"]["types"] for r in rows if not r["_meta"]["refine"])  # A forced
    assert any(OTHERS in r["_meta"]["types"] for r in rows)
    main = [len([t for t in r["_meta"]["types"] if t != OTHERS]) for r in rows]
    assert max(main) <= 15 and Counter(3 <= n <= 6 for n in main)[True] > len(rows) / 2


def test_json_targets_are_valid_and_the_quirk_reproduces_the_official_bug():
    specs = reverse_texts().specs
    spec = specs["combined"][1]
    assert spec.json_keys is not None
    sentences = ['Include the keywords "GPU", "VRAM".', "Use a back\\slash once."]
    text = serialise_target(spec, refined='Say "hi"', constraints=sentences)
    assert json.loads(text) == {
        "Refined instruction": 'Say "hi"',
        "Additional constraints": sentences,
    }
    quirky = serialise_target(spec, refined='Say "hi"', constraints=sentences, faithful_quirks=True)
    assert quirky.startswith('{\n    "Refined instruction": "Say "hi"", \n')
    with pytest.raises(json.JSONDecodeError):
        json.loads(quirky)
    arrows = next(s for s in specs["combined"] if s.quirk_item)
    assert serialise_target(arrows, refined="r", constraints=["a", "b"]).endswith("> a\n> b")
    assert serialise_target(
        arrows, refined="r", constraints=["a", "b"], faithful_quirks=True
    ).endswith("1. a\n2. b")


def test_reverse_skips_roots_with_nothing_to_predict():
    item = make_item(0, [])
    item["Aug_instruction"]["Refined_Instruction"] = ""
    assert reverse_examples([item], random.Random(1), {"0_tiny": []}) == []
    # a non-eligible type (Word) can still be the target of "Others", as in the official code
    word_only = make_item(0, ["Word"])
    word_only["Aug_instruction"]["Refined_Instruction"] = ""
    for seed in range(20):
        for row in reverse_examples([word_only], random.Random(seed), {"0_tiny": []}):
            assert row["_meta"]["types"] == [OTHERS]
            assert row["_meta"]["turns"][0]["types"] == ["Word"]
    with pytest.raises(InputError, match="shot_map"):
        reverse_examples([item], random.Random(1), {"0_tiny": ["9_tiny"]})


def synthetic_rows(kind, n, *, source="s", shots_every=0):
    rows = []
    for i in range(n):
        shots = [f"{i + n}_{source}"] if shots_every and i % shots_every == 0 else []
        rows.append(
            {
                "id": f"{i}_{kind}",
                "cnt_id": i,
                "source": source,
                "shots": shots,
                "messages": [
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": "a"},
                ],
            }
        )
    return rows


def test_mix_sizes_bans_and_extra():
    forward = synthetic_rows("forward", 20000, shots_every=2)
    reverse = synthetic_rows("reverse", 20000)
    extra = [
        {
            "id": f"sg{i}",
            "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}],
        }
        for i in range(100)
    ]
    rows = mix(forward, reverse, random.Random(36), extra=extra, extra_num=60)
    assert mix_counts(rows) == {"forward": 9450, "reverse": 4050, "extra": 60}
    used = {r["id"].removesuffix("_forward") for r in rows if r["id"].endswith("_forward")}
    used_shots = {f"{int(i) + 20000}" for i in used if int(i) % 2 == 0}
    for row in rows:
        if row["id"].endswith("_reverse"):
            rid = row["id"].removesuffix("_reverse")
            assert rid not in used and rid not in used_shots
    assert set(rows[0]) == {"id", "cnt_id", "source", "messages"}
    assert rows[-1]["messages"][1] == {"role": "assistant", "content": "hello"}
    assert rows[-1]["source"] == "sharegpt"


def test_mix_source_cap_word_limit_and_small_inputs():
    forward = synthetic_rows("forward", 50, source="a") + synthetic_rows("forward", 50, source="b")
    for row in forward[:10]:
        row["messages"][0] = {"role": "user", "content": "word " * 200}
    rows = mix(forward, [], random.Random(1), dataset_limit=20, word_limit=100)
    assert Counter(r["source"] for r in rows) == {"a": 20, "b": 20}
    assert all(len(r["messages"][0]["content"]) < 100 for r in rows)
    rows = mix(
        synthetic_rows("forward", 10),
        synthetic_rows("reverse", 10),
        random.Random(1),
        max_num=10,
        forward_rate=0.75,
    )
    assert mix_counts(rows) == {"forward": 8, "reverse": 2, "extra": 0}  # ceil(7.5) as official


def test_compose_is_deterministic_by_seed_and_keeps_the_ratio():
    items = [make_item(i, OFFICIAL) for i in range(120)]
    first = compose_training_data(items, seed=1)
    assert first == compose_training_data(items, seed=1)
    assert first != compose_training_data(items, seed=2)
    counts = mix_counts(first)
    assert counts["reverse"] > 0 and 0.6 < counts["forward"] / len(first) < 0.8
    for row in first:
        assert set(row) == {"id", "cnt_id", "source", "messages"}
        assert [m["role"] for m in row["messages"]][-2:] == ["user", "assistant"]
    assert len(compose_training_data(items, seed=1, max_num=10)) == 10
    assert mix_counts(compose_training_data(items, reverse_rate=0.0))["reverse"] == 0


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda r: r.pop("messages"), "2: field 'messages'"),
        (lambda r: r["messages"].pop(), "2: field 'messages'"),
        (lambda r: r["messages"][1].update(role="user"), "field 'messages[1].role'"),
        (lambda r: r.pop("Aug_instruction"), "field 'Aug_instruction'"),
        (
            lambda r: r["Aug_instruction"].pop("Additional_Instruction"),
            "field 'Aug_instruction.Additional_Instruction'",
        ),
        (
            lambda r: r["Aug_instruction"]["Additional_Instruction"].update(Digit=3),
            "field 'Aug_instruction.Additional_Instruction.Digit'",
        ),
        (lambda r: r.update(overlap=-1), "field 'overlap'"),
        (lambda r: r.update(id=0), "repeats line 1"),
        (lambda r: r.pop("id"), "field 'id'"),
    ],
)
def test_loader_names_file_line_and_field(tmp_path, mutate, needle):
    bad = make_item(1)
    mutate(bad)
    path = write_jsonl(tmp_path / "items.jsonl", [make_item(0), bad])
    with pytest.raises(InputError) as err:
        load_compose_items(path)
    assert f"{path}:" in str(err.value) and needle in str(err.value)


def test_loader_defaults_and_compose_file(tmp_path):
    rows = [make_item(i, OFFICIAL) for i in range(30)]
    for row in rows[:5]:
        del row["overlap"], row["source"]
    rows.append({"id": "x", "dropped": "no LLM-written constraint survived"})
    path = write_jsonl(tmp_path / "items.jsonl", rows)
    assert len(load_compose_items(path)) == 30
    (tmp_path / "items.json").write_text(json.dumps(rows[:-1]), encoding="utf-8")
    assert len(load_compose_items(tmp_path / "items.json")) == 30
    extra = write_jsonl(
        tmp_path / "extra.jsonl",
        [
            {
                "id": "e1",
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "yo"},
                ],
            }
        ],
    )
    counts = compose_file(
        path,
        tmp_path / "out" / "train.jsonl",
        seed=3,
        extra_path=extra,
        stages_dir=tmp_path / "stages",
    )
    shots = json.loads((tmp_path / "stages" / "shot_map.json").read_text())
    assert len(shots) == counts["forward_built"]
    assert (tmp_path / "stages" / "reverse.jsonl").exists()
    written = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").open()]
    assert counts["rows"] == len(written) and counts["extra"] == 1 and counts["items"] == 30
    assert {r["source"] for r in written} == {"crab", "tiny", "sharegpt"}
    bad = write_jsonl(
        tmp_path / "bad_extra.jsonl", [{"conversations": [{"from": "robot", "value": "x"}]}]
    )
    with pytest.raises(InputError, match=r"bad_extra.jsonl:1: field 'conversations\[0\]'"):
        load_conversations(bad)
