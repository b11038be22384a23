"""The document loader, mention views, split and statistics (hand-written and real data)."""

from __future__ import annotations

import json

import pytest

from lmforge.errors import InputError
from lmforge.mavenfact import (
    SplitConfig,
    label_stats,
    load_documents,
    load_mentions,
    split_ids,
    write_split,
)


def test_documents_load_as_released_with_mentions_marked(docs_file):
    docs = load_documents(docs_file)
    assert [d.id for d in docs] == ["river_bridge", "harbour_storm", "library_vote"]
    rows = load_mentions(docs_file)
    assert len(rows) == 13
    first = rows[0]
    assert first["id"] == "river_bridge-E1"
    assert (
        first["text"]
        == "The town council <e> approved </e> a new bridge over the river on Monday ."
    )
    assert first["label"] == "CT+"
    begin = next(r for r in rows if r["id"] == "river_bridge-E2")
    assert begin["evidence_word"] == ["may"] and begin["evidence_offset"] == [[1, 1]]
    assert begin["causes"] == [
        "The town council <c> approved </c> a new bridge over the river on Monday ."
    ]
    running = next(r for r in rows if r["id"] == "river_bridge-E4")
    assert running["preconditions"][0].endswith("once the bridge <p> opens </p> .")


def _doc_row(docs_file):
    return json.loads(docs_file.read_text().splitlines()[0])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda d: d["events"][1]["mention"][0].update(offset=[40, 41]),
            "events.1.mention.0.offset",
        ),
        (lambda d: d["events"][0]["mention"][0].update(sent_id=9), "events.0.mention.0.sent_id"),
        (
            lambda d: d["events"][2]["mention"][0].update(factuality="CT"),
            "events.2.mention.0.factuality",
        ),
        (
            lambda d: d["events"][0]["mention"][0].pop("trigger_word"),
            "events.0.mention.0.trigger_word",
        ),
        (lambda d: d.update(tokens="not a list"), "tokens"),
    ],
)
def test_a_broken_document_names_file_line_and_field(docs_file, tmp_path, change, field):
    good, bad = _doc_row(docs_file), _doc_row(docs_file)
    bad["id"] = "other"
    change(bad)
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(InputError) as err:
        load_mentions(path)
    assert str(err.value).startswith(f"{path}:2: field '{field}'")


def test_withheld_test_labels_load_as_unlabelled(docs_file, tmp_path):
    doc = _doc_row(docs_file)
    for event in doc["events"]:
        event["mention"][0].pop("factuality")
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps(doc) + "\n")
    assert {r["label"] for r in load_mentions(path)} == {None}


def test_mention_rows_need_an_id_and_a_marked_trigger(tmp_path, write_jsonl):
    path = write_jsonl(tmp_path / "m.jsonl", [{"id": "a", "text": "no marker here"}])
    with pytest.raises(InputError, match=r"m.jsonl:1: .*<e>"):
        load_mentions(path)
    path = write_jsonl(tmp_path / "m.jsonl", [{"text": "x <e> y </e>"}])
    with pytest.raises(InputError, match="mention_id or id"):
        load_mentions(path)


def test_split_is_a_seeded_function_of_the_ids():
    ids = [f"d{i}" for i in range(20)]
    a, b = split_ids(ids, seed=7), split_ids(list(reversed(ids)), seed=7)
    assert a == b
    assert [len(a[k]) for k in ("train", "valid", "test")] == [14, 2, 4]
    assert sorted(sum(a.values(), [])) == sorted(ids)
    assert split_ids(ids, seed=8) != a


def test_split_is_written_once_and_a_different_one_refused(docs_file, tmp_path):
    first = write_split(SplitConfig(data=docs_file, dir=tmp_path / "s", ratios=(0.34, 0.33, 0.33)))
    assert first["written"] is True
    again = write_split(SplitConfig(data=docs_file, dir=tmp_path / "s", ratios=(0.34, 0.33, 0.33)))
    assert again["written"] is False
    with pytest.raises(InputError, match="different split"):
        write_split(SplitConfig(data=docs_file, dir=tmp_path / "s", seed=1))


def test_meantime_loads_in_both_formats_alike(meantime):
    docs = load_mentions(meantime / "meantime_en_mavenfact_format.jsonl")
    flat = {r["id"]: r for r in load_mentions(meantime / "meantime_en_mentions.jsonl")}
    assert len(docs) == len(flat) == 2023
    assert all(flat[r["id"]]["text"] == r["text"] and flat[r["id"]]["label"] == r["label"]
               for r in docs)  # fmt: skip
    stats = label_stats(docs)
    assert [stats[k] for k in ("CT+", "CT-", "PS+", "PS-", "Uu")] == [1771, 43, 82, 3, 124]
    assert stats["majority"] == "CT+"


def test_meantime_split_is_deterministic(meantime, tmp_path):
    data = meantime / "meantime_en_mavenfact_format.jsonl"
    a = write_split(SplitConfig(data=data, dir=tmp_path / "a"))
    write_split(SplitConfig(data=data, dir=tmp_path / "b"))
    for name in ("train.jsonl", "valid.jsonl", "test.jsonl", "test_mentions.jsonl", "split.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert a["test"] == "24 documents, 362 mentions (CT+=306 CT-=8 PS+=17 PS-=3 Uu=28)"
    assert a["train"].startswith("84 documents, 1462 mentions")
