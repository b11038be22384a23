"""The LLM classifier: the prompt, label parsing, the counted fallback to Uu, a real model."""

from __future__ import annotations

import asyncio
import json

import pytest

from lmforge.llm.scripted import ScriptedLLM
from lmforge.mavenfact import LABELS, LLMClassifierOptions, PredictConfig, classify_stage, predict
from lmforge.mavenfact.llm_classifier import label_schema, load_shots, parse_label
from lmforge.pipeline.runner import run_stage


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        ('{"label": "PS+"}', "PS+"),
        ('{"reason": "negated", "label": "ct-"}', "CT-"),
        ("LABEL: CT−", "CT-"),
        ("The cue is 'may'. LABEL: PS +", "PS+"),
        ("CT+ looks wrong here; LABEL: Uu", "Uu"),
        ("I would say ps- overall", "PS-"),
    ],
)
def test_labels_are_read_from_json_and_free_text(reply, label):
    assert parse_label(reply) == label


@pytest.mark.parametrize("reply", ["", "I cannot tell.", '{"label": "CT"}', "LABEL: maybe"])
def test_a_reply_without_a_label_is_rejected(reply):
    with pytest.raises(ValueError):
        parse_label(reply)


def test_shots_are_one_per_label_and_the_official_file_loads(test_data):
    assert [s["label"] for s in load_shots()] == ["CT+", "PS+", "PS-", "CT-", "Uu"]
    official = test_data / "mavenfact" / "shots_for_efd.json"
    if official.is_file():
        assert sorted(s["label"] for s in load_shots(official)) == sorted(LABELS)


def _mentions():
    return [
        {"id": "m1", "mention_id": "m1", "text": "Talks may <e> resume </e> next week ."},
        {"id": "m2", "mention_id": "m2", "text": "The deal was <e> signed </e> ."},
        {"id": "m3", "mention_id": "m3", "text": "Nobody was <e> hurt </e> ."},
    ]


def test_json_replies_under_a_schema_and_a_counted_fallback(tmp_path):
    def respond(messages, config):
        assert config.json_schema == label_schema(False)
        text = messages[-1].text
        if "resume" in text:
            return '{"label": "PS+"}'
        if "signed" in text:
            return '{"label": "CT+"}'
        return "no idea"  # m3: never a label -> Uu after three asks

    llm = ScriptedLLM(respond)
    stage = classify_stage(LLMClassifierOptions())
    summary = asyncio.run(
        run_stage(stage, _mentions(), tmp_path / "out.jsonl", llm=llm, quiet=True)
    )
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    assert {k: r["label"] for k, r in rows.items()} == {"m1": "PS+", "m2": "CT+", "m3": "Uu"}
    assert rows["m3"]["_meta"]["fallback"] and rows["m3"]["_meta"]["attempts"] == 3
    assert rows["m3"]["_meta"]["raw"] == "no idea"
    assert "fallback" not in rows["m1"]["_meta"]
    assert len(llm.calls) == 5 and summary.failed == 0
    system = llm.calls[0].messages[0].text
    assert (
        "TEXT: Rescuers tried to <e>reach</e> the village before nightfall .\nLABEL: PS+" in system
    )


def test_official_free_text_and_cot_change_the_prompt(tmp_path):
    llm = ScriptedLLM(lambda m, c: "LABEL: CT+")
    opts = LLMClassifierOptions(official_format=True, cot=True)
    asyncio.run(run_stage(classify_stage(opts), _mentions()[:1], tmp_path / "o.jsonl", llm=llm,
                          quiet=True))  # fmt: skip
    call = llm.calls[0]
    assert call.config.json_schema is None
    assert "check three things" in call.messages[0].text
    assert call.messages[-1].text.rstrip().endswith("LABEL:")


def test_predict_counts_fallbacks_in_its_figures(docs_file, tmp_path):
    cfg = PredictConfig(classifier="llm:scripted", input=docs_file, limit=2,
                        output=tmp_path / "pred.jsonl")  # fmt: skip
    result = predict(cfg, out=tmp_path / "run", quiet=True)
    assert result["mentions"] == 2 and result["fallback_uu"] == 2  # "OK" is no label
    rows = [json.loads(x) for x in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert [r["label"] for r in rows] == ["Uu", "Uu"] and rows[0]["gold"] == "CT+"


def test_embedded_tiny_labels_real_mentions(docs_file, tmp_path):
    cfg = PredictConfig(classifier="llm:embedded-tiny", input=docs_file, limit=3,
                        output=tmp_path / "pred.jsonl")  # fmt: skip
    result = predict(cfg, out=tmp_path / "run", quiet=True)
    rows = [json.loads(x) for x in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert result["mentions"] == len(rows) == 3
    assert all(r["label"] in LABELS for r in rows)
    fell_back = sum(bool(r["_meta"].get("fallback")) for r in rows)
    assert result["fallback_uu"] == fell_back
    assert all(r["_meta"]["raw"] for r in rows)  # the model's own replies are kept
