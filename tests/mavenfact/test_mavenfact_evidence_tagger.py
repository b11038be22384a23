"""The trained evidence tagger: official-format evidence fields, subword labels, real training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lmforge.errors import InputError
from lmforge.mavenfact import (
    EvidenceConfig,
    TrainEvidenceConfig,
    bio_tags,
    cue_positions,
    document_mentions,
    evidence,
    evidence_rows,
    evidence_subset,
    load_documents,
    span_scores,
    tagger_words,
    train_evidence,
)

# A row written by hand in the released MAVEN-Fact format (MAVEN-ERE fields, argument offsets in
# characters of `document`, evidence offsets as [sent_id, token]); the second mention's evidence
# lies in the first sentence, so the official subset leaves it out.
OFFICIAL = {
    "id": "6b2e8c1f0d",
    "title": "Harbour expansion",
    "document": "The port may expand its eastern quay. Work was not approved in 2023.",
    "tokens": [["The", "port", "may", "expand", "its", "eastern", "quay", "."],
               ["Work", "was", "not", "approved", "in", "2023", "."]],
    "sentences": ["The port may expand its eastern quay.", "Work was not approved in 2023."],
    "has_arguments": True,
    "events": [
        {"id": "EVENT_1", "type": "Expansion", "type_id": 41,
         "mention": [{"id": "MENTION_1", "trigger_word": "expand", "sent_id": 0,
                      "offset": [3, 4], "factuality": "PS+", "evidence_word": ["may"],
                      "evidence_offset": [[0, 2]]}],
         "arguments": [{"mentions": [{"mention": "The port", "offset": [0, 8]}],
                        "type": "Agent"}]},
        {"id": "EVENT_2", "type": "Approving", "type_id": 7,
         "mention": [{"id": "MENTION_2", "trigger_word": "approved", "sent_id": 1,
                      "offset": [3, 4], "factuality": "CT-", "evidence_word": ["not", "may"],
                      "evidence_offset": [[1, 2], [0, 2]]},
                     {"id": "MENTION_3", "trigger_word": "Work", "sent_id": 1,
                      "offset": [0, 1], "factuality": "CT+", "evidence_word": None,
                      "evidence_offset": None}],
         "arguments": []},
    ],
    "TIMEX": [{"id": "TIME_1", "mention": "2023", "type": "DATE", "sent_id": 1,
               "offset": [5, 6]}],
    "temporal_relations": {"BEFORE": [["EVENT_2", "EVENT_1"]], "OVERLAP": [], "CONTAINS": [],
                           "SIMULTANEOUS": [], "ENDS-ON": [], "BEGINS-ON": []},
    "causal_relation": {"CAUSE": [], "PRECONDITION": [["EVENT_2", "EVENT_1"]]},
    "subevent_relations": [],
}  # fmt: skip
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "mavenfact"


def test_official_evidence_fields_load_as_released(tmp_path, write_jsonl):
    path = write_jsonl(tmp_path / "valid.jsonl", [OFFICIAL])
    rows = {r["id"]: r for r in document_mentions(load_documents(path))}
    assert rows["MENTION_1"]["evidence_word"] == ["may"]
    assert rows["MENTION_2"]["evidence_offset"] == [[1, 2], [0, 2]]
    assert rows["MENTION_3"]["evidence_offset"] is None
    subset = evidence_subset(list(rows.values()))
    assert [r["id"] for r in subset] == ["MENTION_1"]  # MENTION_2 reaches another sentence
    assert subset[0]["gold_tags"] == ["O", "O", "B", "O", "O", "O", "O", "O"]
    assert tagger_words(subset[0]["tokens"], subset[0]["offset"], "PS+")[2:6] == [
        "may", "<PS+>", "expand", "</PS+>"]  # fmt: skip


def test_subword_labels_first_and_official(tiny_encoder):
    from lmforge.mavenfact.evidence_model import IGNORE, EvidenceTagger

    row = {"tokens": ["Talks", "were", "unfinalisable", "yet"], "offset": [3, 4],
           "label": "CT-", "gold_tags": ["O", "B", "I", "O"]}  # fmt: skip
    for mode in ("first", "official"):
        tagger = EvidenceTagger(tiny_encoder, subwords=mode)
        batch = tagger.encode([row], with_labels=True)
        word_ids, labels = batch.word_ids(0), batch["labels"][0].tolist()
        firsts = {w: labels[i] for i, w in reversed(list(enumerate(word_ids))) if w is not None}
        assert [firsts[w] for w in range(4)] == [0, 1, 2, IGNORE]  # Talks were unfin.. <CT->
        rest = [labels[i] for i, w in enumerate(word_ids) if w == 2][1:]
        assert rest and set(rest) == ({IGNORE} if mode == "first" else {2})
        # predictions come back per sentence token, the tag words left out
        assert len(tagger.tag([row])[0]) == 4


def test_training_refuses_data_without_evidence(tmp_path, docs_file, write_jsonl):
    bare = json.loads(docs_file.read_text().splitlines()[0])
    for event in bare["events"]:
        for m in event["mention"]:
            m["evidence_word"] = m["evidence_offset"] = None
    path = write_jsonl(tmp_path / "bare.jsonl", [bare])
    with pytest.raises(InputError, match="no CT-/PS\\+/PS- mention with evidence"):
        train_evidence(TrainEvidenceConfig(train=path, out=tmp_path / "t"), quiet=True)


def test_evidence_refuses_a_folder_that_is_no_tagger(tmp_path, docs_file):
    with pytest.raises(InputError, match="not an evidence tagger folder"):
        evidence(EvidenceConfig(input=docs_file, tagger=str(tmp_path)), quiet=True)


def test_predicted_labels_replace_the_gold_ones_when_given(tmp_path, monkeypatch, write_jsonl):
    """The official pipeline variant: the tagger sees the label a classifier predicted."""
    import lmforge.llm.registry as registry
    from lmforge.llm.scripted import ScriptedLLM

    path = write_jsonl(tmp_path / "valid.jsonl", [OFFICIAL])
    labels = write_jsonl(tmp_path / "pred.jsonl", [{"id": "MENTION_1", "label": "CT-"}])
    llm = ScriptedLLM(['{"cues": ["may"]}'])
    monkeypatch.setattr(registry, "get_llm", lambda spec=None, **_: llm)
    cfg = EvidenceConfig(input=path, tagger="llm:scripted", labels=labels,
                         output=tmp_path / "tags.jsonl")  # fmt: skip
    assert evidence(cfg, out=tmp_path / "run", quiet=True)["span_f1"] == 1.0
    assert "LABEL: CT-" in llm.calls[0].prompt
    (row,) = [json.loads(x) for x in (tmp_path / "tags.jsonl").read_text().splitlines()]
    assert (row["label"], row["gold_label"]) == ("CT-", "PS+")
    for bad, match in (
        ([{"id": "MENTION_2", "label": "CT-"}], "no predicted label for mention"),
        ([{"id": "MENTION_1", "label": "maybe"}], "unknown label 'maybe'"),
    ):
        write_jsonl(labels, bad)
        with pytest.raises(InputError, match=match):
            evidence(cfg.model_copy(update={"output": None}), out=tmp_path / "r2", quiet=True)
    assert not (tmp_path / "r2").exists()


def test_a_trained_minilm_tagger_beats_the_cue_rule_on_held_out_sentences(tmp_path):
    """Four epochs of the embedded MiniLM on lmforge's hand-written evidence documents; the
    held-out sentences use cues the rule's lexicon lacks (unable to, aims to, nobody)."""
    test_file = EXAMPLES / "evidence_test.jsonl"
    train = EXAMPLES / "evidence_train.jsonl"
    cfg = TrainEvidenceConfig(train=train, out=tmp_path / "tagger", epochs=4, batch_size=8,
                              lr=2e-4, threads=1, select="last")  # fmt: skip
    got = train_evidence(cfg, quiet=True)
    assert (got["mentions"], got["epochs"], got["steps"]) == (49, 4, 28)
    rows = evidence_rows(test_file)
    rule = span_scores([r["gold_tags"] for r in rows],
                       [bio_tags(len(r["tokens"]), cue_positions(r["tokens"], r["offset"][0]))
                        for r in rows])  # fmt: skip
    run = evidence(EvidenceConfig(input=test_file, tagger=str(tmp_path / "tagger"),
                                  output=tmp_path / "tags.jsonl"), out=tmp_path / "run",
                   quiet=True)  # fmt: skip
    assert run["mentions"] == 13 and round(rule["f1"], 4) == 0.5185
    assert run["span_f1"] >= 0.7 and run["span_f1"] > rule["f1"] + 0.15
    tagged = [json.loads(x) for x in (tmp_path / "tags.jsonl").read_text().splitlines()]
    assert all(len(t["tags"]) == len(t["gold_tags"]) for t in tagged)
