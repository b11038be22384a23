"""Supporting evidence: the official BIO scheme, seqeval-style span scores, both taggers."""

from __future__ import annotations

import asyncio
import json

import pytest

from lmforge.errors import InputError
from lmforge.llm.scripted import ScriptedLLM
from lmforge.mavenfact import (
    EvidenceConfig,
    bio_tags,
    document_mentions,
    evidence,
    evidence_stage,
    evidence_subset,
    load_documents,
    span_scores,
    spans,
)
from lmforge.pipeline.runner import run_stage


def test_b_opens_every_non_adjacent_token_and_i_continues():
    # "neither ... nor": two separate spans; "in order to": one span of three
    assert bio_tags(8, [0, 3]) == ["B", "O", "O", "B", "O", "O", "O", "O"]
    assert bio_tags(6, [4, 2, 3]) == ["O", "O", "B", "I", "I", "O"]


def test_spans_follow_seqeval():
    assert spans(["B", "I", "O", "B", "B", "I"]) == {(0, 2), (3, 4), (4, 6)}
    assert spans(["O", "I", "I", "O"]) == {(1, 3)}  # a stray I opens a span


def test_span_scores_count_exact_spans_only():
    gold = [["B", "I", "O", "B"], ["O", "B", "O", "O"]]
    pred = [["B", "O", "O", "B"], ["O", "B", "O", "B"]]
    # gold spans (0,2) (3,4) (1,2); predicted (0,1) (3,4) (1,2) (3,4): 2 of 4 right, 2 of 3 found
    got = span_scores(gold, pred)
    assert got["precision"] == pytest.approx(0.5) and got["recall"] == pytest.approx(2 / 3)
    assert got["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_the_subset_keeps_non_factual_mentions_with_evidence_in_their_sentence(docs_file):
    rows = document_mentions(load_documents(docs_file))
    rows[1]["evidence_offset"] = [[0, 1]]  # river_bridge-E2 (sentence 1): evidence elsewhere
    subset = evidence_subset(rows)
    assert {r["label"] for r in subset} <= {"CT-", "PS+", "PS-"}
    assert "river_bridge-E2" not in {r["id"] for r in subset}
    storm = next(r for r in subset if r["id"] == "harbour_storm-E5")
    assert storm["gold_tags"][storm["tokens"].index("might")] == "B"
    assert storm["gold_tags"][storm["tokens"].index("might") + 1] == "I"


def test_the_cue_tagger_scores_the_example(docs_file, tmp_path):
    cfg = EvidenceConfig(input=docs_file, output=tmp_path / "ev.jsonl")
    got = evidence(cfg, out=tmp_path / "run", quiet=True)
    # 8 gold spans ("planned" and "failed" are two); the rule finds may, not, tried to,
    # might not, and wrongly "not" (of "could not rule out") and "planned to": P 4/6, R 4/8
    assert got["mentions"] == 7
    assert (got["span_precision"], got["span_recall"]) == (0.6667, 0.5)


def test_the_llm_tagger_maps_cue_words_to_positions(docs_file, tmp_path):
    rows = evidence_subset(document_mentions(load_documents(docs_file)))
    storm = [r for r in rows if r["id"] == "harbour_storm-E5"]
    llm = ScriptedLLM(['{"cues": ["might not"]}'])
    asyncio.run(run_stage(evidence_stage(), storm, tmp_path / "o.jsonl", llm=llm, quiet=True))
    (row,) = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert row["tags"] == storm[0]["gold_tags"]
    assert llm.calls[0].config.json_schema["required"] == ["cues"]


def test_data_without_evidence_is_refused(meantime):
    with pytest.raises(InputError, match="no CT-/PS\\+/PS- mention with evidence"):
        evidence(EvidenceConfig(input=meantime / "meantime_en_mavenfact_format.jsonl"), quiet=True)


def test_annotate_marks_events_and_flags_the_unasserted(tmp_path):
    from lmforge.mavenfact import AnnotateConfig, annotate, candidate_triggers, tokenize

    tokens = tokenize("Talks didn't resume, and the deal may collapse.")
    assert tokens[:4] == ["Talks", "did", "n't", "resume"]
    assert [tokens[i] for i in candidate_triggers(tokens)] == ["resume", "collapse"]
    text = tmp_path / "answer.txt"
    text.write_text("The council approved the plan. The mayor may resign. She did not confirm it.")
    got = annotate(AnnotateConfig(text_file=text, output=tmp_path / "ev.jsonl"),
                   out=tmp_path / "run", quiet=True)  # fmt: skip
    assert got["sentences"][0] == "The council [approved|CT+] the plan ."
    assert "[resign|PS+]" in got["sentences"][1] and "[confirm|CT-]" in got["sentences"][2]
    assert got["not_certain_fact"] == 2
    rows = [json.loads(x) for x in (tmp_path / "ev.jsonl").read_text().splitlines()]
    assert len(rows) == got["events"]
