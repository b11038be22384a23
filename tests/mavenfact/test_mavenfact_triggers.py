"""LLM trigger detection for annotate: checked offsets, re-asks, counted drops, a real model."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from lmforge.errors import InputError
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig
from lmforge.mavenfact import AnnotateConfig, annotate, tokenize
from lmforge.mavenfact.triggers import (
    TriggerOptions,
    check_triggers,
    read_triggers,
    trigger_stage,
)
from lmforge.pipeline.runner import run_stage

TOKENS = ["The", "mayor", "may", "resign", "after", "the", "vote", "."]


def _reply(*items: tuple[str, int]) -> str:
    return json.dumps({"events": [{"word": w, "index": i} for w, i in items]})


def test_items_must_name_the_token_at_their_index():
    assert check_triggers(_reply(("resign", 3), ("Resign", 3)), TOKENS) == [3]
    assert check_triggers('{"events": []}', TOKENS) == []
    found, problems = read_triggers(
        _reply(("resign", 3), ("mayor", 2), ("quit", 9), (".", 7)), TOKENS
    )
    assert found == [3]
    assert problems == [
        "token 2 is 'may', not 'mayor'",
        "index 9 of 'quit' is not a token number (0-7)",
        "'.' (token 7) is not a word",
    ]
    assert read_triggers(_reply(("may", 2), ("resign", 3)), TOKENS)[1] == [
        "'may' (token 2) is a function word, not an event"
    ]
    sentence = tokenize("The city council approved the new bridge on Monday .")
    every = _reply(*[(t, i) for i, t in enumerate(sentence) if t.isalpha()])
    with pytest.raises(ValueError, match="names 9 of the sentence's 9 words"):
        read_triggers(every, sentence)
    bad_types = '{"events": [{"word": "resign", "index": true}, "resign"]}'
    assert len(read_triggers(bad_types, TOKENS)[1]) == 2
    for text in ("resign", '{"triggers": [3]}', '{"events": 3}'):
        with pytest.raises(ValueError, match="no .*events"):
            read_triggers(text, TOKENS)
    with pytest.raises(ValueError, match="token 2 is 'may'"):
        check_triggers(_reply(("resign", 3), ("mayor", 2)), TOKENS)


def _run(tmp_path, replies):
    llm = ScriptedLLM(replies)
    row = {"id": "s0", "sent_id": 0, "tokens": TOKENS}
    out = tmp_path / "t.jsonl"
    summary = asyncio.run(run_stage(trigger_stage(), [row], out, llm=llm, quiet=True))
    rows = [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []
    return llm, summary, rows


def test_a_wrong_offset_is_asked_again_with_the_reason(tmp_path):
    llm, _, rows = _run(tmp_path, [_reply(("resign", 2)), _reply(("resign", 3))])
    assert rows[0]["triggers"] == [3] and len(llm.calls) == 2
    assert llm.calls[0].config.json_schema["required"] == ["events"]
    assert "3:resign" in llm.calls[0].prompt
    assert "token 2 is 'may', not 'resign'" in llm.calls[1].prompt  # the reason fed back


def test_after_the_re_asks_the_checked_items_stay_and_the_rest_is_counted(tmp_path):
    bad = _reply(("resign", 3), ("mayor", 2))
    _, summary, rows = _run(tmp_path, [bad, bad, bad])
    assert rows[0]["triggers"] == [3]
    assert rows[0]["_meta"]["rejected"] == ["token 2 is 'may', not 'mayor'"]
    assert summary.dropped == 0


def test_a_sentence_without_a_usable_reply_is_dropped_not_guessed(tmp_path):
    _, summary, rows = _run(tmp_path, ["no idea", _reply(("quit", 9)), "{"])
    assert rows == [] and summary.dropped == 1
    assert summary.drops == {"no usable trigger reply": 1}
    (dropped,) = [json.loads(x) for x in (tmp_path / "t.dropped.jsonl").read_text().splitlines()]
    assert dropped["_meta"]["attempts"] == 3 and dropped["_meta"]["raw"] == "{"


def _responder(messages, config):
    """Names every word ending in -ed or -ign with its number; sentence 2 gets garbage."""
    line = next(m.text for m in messages if m.role == "user")  # re-asks append a note
    tokens = re.findall(r"(\d+):(\S+)", line.split("TOKENS:", 1)[1].split("\n", 1)[0])
    if any(t == "weather" for _, t in tokens):
        return "I think the events are obvious."
    return _reply(*[(t, int(i)) for i, t in tokens if t.endswith(("ed", "ign"))])


def test_annotate_uses_the_model_triggers_and_counts_the_sentences_it_lost(tmp_path, monkeypatch):
    import lmforge.llm.registry as registry

    llm = ScriptedLLM(_responder)
    monkeypatch.setattr(registry, "get_llm", lambda spec=None, **_: llm)
    text = tmp_path / "a.txt"
    text.write_text("The council approved the plan. The mayor may resign. "
                    "The weather turned cold.")  # fmt: skip
    cfg = AnnotateConfig(text_file=text, triggers="llm:scripted", output=tmp_path / "ev.jsonl")
    got = annotate(cfg, out=tmp_path / "run", quiet=True)
    assert got["sentences"][:2] == ["The council [approved|CT+] the plan .",
                                    "The mayor may [resign|PS+] ."]  # fmt: skip
    # the heuristic would mark "turned"; the model's sentence failed, so it has no events
    assert got["sentences"][2] == "The weather turned cold ."
    assert (got["events"], got["sentences_without_triggers_reply"]) == (2, 1)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["sentences_without_triggers_reply"] == 1 and summary["failed"] == 0
    assert len(llm.calls) == 2 + 3  # two sentences at once, the third asked three times
    # the same run again resumes: nothing is asked twice, the dropped sentence stays dropped
    idle = ScriptedLLM([])
    monkeypatch.setattr(registry, "get_llm", lambda spec=None, **_: idle)
    again = annotate(cfg.model_copy(update={"output": tmp_path / "ev2.jsonl"}),
                     out=tmp_path / "run", quiet=True)  # fmt: skip
    assert again == got and idle.calls == []


def test_bad_trigger_options_are_refused_before_a_run_exists(tmp_path):
    text = tmp_path / "a.txt"
    text.write_text("The council approved the plan.")
    for value in ("llm:", "rules"):
        with pytest.raises(InputError, match="expected heuristic, llm or llm:SPEC"):
            annotate(AnnotateConfig(text_file=text, triggers=value), out=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_embedded_tiny_detects_triggers_at_checked_offsets(tmp_path):
    text = tmp_path / "answer.txt"
    text.write_text("The council approved the bridge.")
    opts = TriggerOptions(attempts=2, generation=GenerateConfig(max_tokens=64, temperature=0.0))
    cfg = AnnotateConfig(text_file=text, triggers="llm:embedded-tiny", trigger_llm=opts,
                         output=tmp_path / "e.jsonl")  # fmt: skip
    got = annotate(cfg, out=tmp_path / "run", quiet=True)
    rows = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert got["events"] == len(rows)
    sentences = [tokenize("The council approved the bridge.")]
    for row in rows:  # every event the model named is the token at its offset
        assert sentences[row["sent_id"]][row["offset"][0]] == row["trigger_word"]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    (stage,) = [s for s in summary["stages"] if s["stage"] == "triggers"]
    assert stage["total"] == 1 == stage["done"] + stage["dropped"]
    assert stage["llm_calls"] <= 2
    assert got["sentences_without_triggers_reply"] == stage["dropped"]
