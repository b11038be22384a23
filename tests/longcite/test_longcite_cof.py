"""CoF: the deterministic steps exactly, the four stages with a scripted model (JSON-schema
and official free-text replies), the 20% filter, and one real run with embedded-tiny."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest

from helpers import write_jsonl
from lmforge.llm.scripted import ScriptedLLM
from lmforge.longcite import (
    CofConfig,
    Statement,
    draw_question_type,
    expand_windows,
    filter_reason,
    global_spans,
    parse_chunk_citations,
    parse_numbered_questions,
    retrieval_k,
    run_cof,
)
from lmforge.pipeline.records import read_jsonl
from lmforge.text import chunk_by_tokens

DOC = (
    "The Harbour Bridge opened in 1932. It took eight years to build. Its arch spans 503 "
    "metres. About 1,400 workers built it. It carries eight lanes and two railway tracks.\n\n"
    "The bridge is in Sydney. Tourists climb its arch every day. The climb takes three hours."
)
ANSWER = "The bridge opened in 1932. It is in Sydney."


def test_retrieval_budget_windows_spans_and_filter():
    assert [retrieval_k(n) for n in (1, 4, 5, 7, 40, 100)] == [10, 10, 8, 6, 1, 1]
    chunks = chunk_by_tokens(DOC, 8)
    assert len(chunks) == 7
    windows = expand_windows([6, 0, 2], chunks)
    assert [(w.first, w.stop) for w in windows] == [(0, 4), (5, 7)]  # [0,2)+[1,4) merge; clipped
    assert windows[0].start == 0 and windows[0].end == chunks[3].end
    assert global_spans("[1-2]\n[5-9] [3-1] [0-0] [4-4]", [10, 11, 12, 20, 21]) == [
        (11, 12), (21, 21), (10, 10)
    ]  # fmt: skip
    assert global_spans("No relevant information", [1, 2]) == []
    cited, bare = Statement("a", ()), Statement("b", ())
    assert filter_reason([bare, bare]) == "no statement has a citation"
    one = Statement("a", ("x",))  # type: ignore[arg-type]
    assert (
        filter_reason([one, bare, bare, bare, bare, bare]) == "fewer than 20% of statements cited"
    )
    assert filter_reason([one, bare, bare, bare, bare]) is None
    assert filter_reason([cited, Statement(" ", None)]) == "no statement has a citation"


def test_question_types_and_numbered_questions():
    rng = random.Random(0)
    fair = Counter(draw_question_type(rng) for _ in range(4000))
    assert set(fair) == {"summary", "multihop", "general", "information"}
    assert all(900 < n < 1100 for n in fair.values())
    bug = Counter(draw_question_type(rng, official_bug=True) for _ in range(4000))
    assert "summary" not in bug and 1850 < bug["multihop"] < 2150
    text = "1: What?\n2: Who?\n3: \n4: Why?\n5: How,\nreally?"
    assert parse_numbered_questions(text) == ["What?", "Who?", "Why?", "How,\nreally?"]


def test_chunk_citations_walk_keeps_valid_ids():
    chunks = chunk_by_tokens(DOC, 8)
    shown = [chunks[2], chunks[5]]
    got = parse_chunk_citations(
        "<statement>A fact.<cite>[2][9][1][2]</cite></statement>\n<statement>So.<cite></cite>"
        "</statement>",
        shown,
    )
    assert got == [
        {"statement": "A fact.", "chunks": [5, 2]},
        {"statement": "\n", "chunks": None},
        {"statement": "So.", "chunks": []},
    ]


def _responder(structured: bool):
    """A scripted model that does each CoF step right by word overlap."""

    def best(options: dict[int, str], text: str) -> int:
        words = set(re.findall(r"\w+", text.lower())) - {"the", "is", "it", "in"}
        return max(options, key=lambda k: len(words & set(re.findall(r"\w+", options[k].lower()))))

    def answer(messages, config):
        text = messages[-1].text
        if "write 5 different" in text:
            qs = ["When did the bridge open?", "Where is it?"]
            return json.dumps({"questions": qs}) if structured else "1: " + "\n2: ".join(qs) + "\n"
        if "[Passage Start]" in text:
            passage = text.split("[Passage Start]")[1].split("[Passage End]")[0]
            statement = text.split("[Statement]")[1].split("[Output]")[0]
            local = {int(k): v for k, v in re.findall(r"<C(\d+)>([^<]*)", passage)}
            k = best(local, statement)
            return json.dumps({"spans": [[k, k]]}) if structured else f"[{k}-{k}]"
        if "[Contexts Start]" in text:
            body = text.rsplit("[Contexts Start]", 1)[1].split("[Context End]")[0]
            snippets = dict(
                (int(j), s) for j, s in re.findall(r"Snippet \[(\d+)\]\n(.*?)(?=\n\nSnippet|\n$)",
                                                     body + "\n", re.S)
            )  # fmt: skip
            sentences = ["The bridge opened in 1932.", "It is in Sydney."]
            ids = [best(snippets, s) for s in sentences]
            if structured:
                return json.dumps({"citations": [{"sentence": i, "snippets": [j]}
                                                 for i, j in enumerate(ids)]})  # fmt: skip
            return (
                f"[Answer with Citations]\n<statement>{sentences[0]}<cite>[{ids[0]}]</cite>"
                f"</statement> statement>{sentences[1]}<cite>[{ids[1]}]</cite></statement>"
            )
        return ANSWER

    return answer


@pytest.mark.parametrize("structured", [True, False])
def test_cof_stages_make_the_sft_row(tmp_path, monkeypatch, structured):
    import lmforge.llm.registry as registry

    model = ScriptedLLM(_responder(structured))
    monkeypatch.setattr(registry, "get_llm", lambda spec=None, **kw: model)
    docs = write_jsonl(tmp_path / "docs.jsonl", [{"idx": 3, "context": DOC}])
    cfg = CofConfig(input=docs, model="scripted", chunk_tokens=8, structured=structured,
                    output=tmp_path / "sft.jsonl")  # fmt: skip
    result = run_cof(cfg, out=tmp_path / "run", quiet=True)
    assert (result["kept"], result["dropped"], result["failed"]) == (1, 0, 0)
    assert result["cited_share"] == 1.0
    (row,) = read_jsonl(tmp_path / "sft.jsonl")
    user, assistant = row["messages"]
    assert user["role"] == "user" and "[Document Start]\n<C0>The Harbour Bridge" in user["content"]
    assert user["content"].endswith("[Document End]\n\n" + row["query"])
    assert assistant["content"] == (
        "<statement>The bridge opened in 1932.<cite>[0-0]</cite></statement> "
        "<statement>It is in Sydney.<cite>[5-5]</cite></statement>"
    )
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["filter"]["kept"] == 1 and summary["filter"]["statements"] == 2
    # resuming the finished run asks nothing again
    calls = len(model.calls)
    run_cof(cfg, out=tmp_path / "run", quiet=True)
    assert len(model.calls) == calls


def test_an_uncited_answer_is_dropped_with_its_reason(tmp_path, monkeypatch):
    import lmforge.llm.registry as registry

    def answer(messages, config):
        text = messages[-1].text
        if "write 5 different" in text:
            return json.dumps({"questions": ["Why?"]})
        if "[Contexts Start]" in text:
            return json.dumps({"citations": [{"sentence": 0, "snippets": []}]})
        return "Nobody knows for sure."

    monkeypatch.setattr(registry, "get_llm", lambda spec=None, **kw: ScriptedLLM(answer))
    docs = write_jsonl(tmp_path / "docs.jsonl", [{"context": DOC}])
    result = run_cof(CofConfig(input=docs, model="scripted"), out=tmp_path / "run", quiet=True)
    assert result["kept"] == 0
    assert result["dropped (postprocess: no statement has a citation)"] == 1


@pytest.mark.slow
def test_cof_end_to_end_on_the_sample_with_embedded_tiny(tmp_path, test_data):
    """Every stage through the real tiny model and the embedded MiniLM retriever: whatever it
    writes, the record is kept or dropped with a reason, and the summary has the filter
    statistics; a kept row's cites resolve inside the numbered document."""
    from lmforge.llm.types import GenerateConfig
    from lmforge.longcite import number_context, parse_answer

    sample = test_data / "longcite" / "cof_input_sample.jsonl"
    cfg = CofConfig(
        input=sample, model="embedded-tiny", retriever="dense", max_input_tokens=400,
        chunk_tokens=64, chunk_budget=2, generation=GenerateConfig(max_tokens=48, temperature=1.0),
        extract_max_tokens=24, output=tmp_path / "sft.jsonl",
    )  # fmt: skip
    result = run_cof(cfg, out=tmp_path / "run", quiet=True)
    assert result["failed"] == 0 and result["kept"] + result["dropped"] == 1
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert set(summary["filter"]) >= {"kept", "dropped", "statements", "cited_share"}
    stages = [s["stage"] for s in summary["stages"]]
    assert stages[0] == "qa" and summary["llm_calls"] >= 2
    rows = read_jsonl(tmp_path / "sft.jsonl", allow_empty=True)
    if rows:
        assert stages == ["qa", "chunk_cite", "sentence_cite", "postprocess"]
        context = json.loads(sample.read_text().splitlines()[0])["context"]
        numbered = number_context(context)
        parsed = parse_answer(rows[0]["messages"][1]["content"], numbered)
        assert any(s.citation for s in parsed.statements)
        assert "<C241>" in rows[0]["messages"][0]["content"]
