"""Back-translation end to end: scripted replies pin the control flow, the embedded model runs it
for real on five pairs (malformed output becomes error or dropped rows, never a crash)."""

import json

import pytest

from helpers import write_jsonl
from lmforge.crab.backtranslate import (
    NO_CONSTRAINT,
    BacktranslateConfig,
    refine_guards,
    run_backtranslate,
    show_backtranslate,
)
from lmforge.crab.constraints import PYTHON_KEYS
from lmforge.errors import InputError
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import Completion, GenerateConfig
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.rundir import RunDir

RESPONSE = (
    "Rain falls softly on the quiet town.\n"
    "People open umbrellas and hurry home; the streets shine under the lamps.\n"
    "- Bring a coat\n- Stay dry"
)
PAIRS = [
    {"id": "p1", "instruction": "Describe a rainy evening.", "response": RESPONSE},
    {
        "messages": [
            {"role": "user", "content": "Say hi politely."},
            {"role": "assistant", "content": "Hello there, it is a pleasure to meet you."},
        ]
    },
]


def _responder(messages, config):
    user = messages[-1].content
    if "Rewrite the instruction" in user:
        return '"Describe a rainy evening in a small town, with tips."'
    if "Desired_Writing_Style" in user and "Cover these four" in user:
        return json.dumps(
            {
                "Desired_Writing_Style": "Use a calm, descriptive tone for readers.",
                "Semantic_elements": "Focus on the evening rain in town.",
                "Morphological_Constraints": "NULL",
                "Multi-lingual_Constraints": "Write the response in English.",
            }
        )
    if "Cover these six" in user:
        return "I think:\n" + json.dumps(
            {
                "Item_Listing_Details": "Use '•' for list items.",  # not in the response: filtered
                "Specific_Sentence": "End with the phrase 'Stay dry'.",
                "Hierarchical_Instructions": "NULL",
            }
        )
    if "Decide whether the text below meets" in user:
        if "calm" in user:
            return (
                '{"satisfaction": "NO", "explanation": "", "constraint_validity": "YES", '
                '"modified_constraint": "Use a quiet tone in the text."}'
            )
        if "evening rain" in user:
            return (
                '{"satisfaction": "NO", "explanation": "", "constraint_validity": "NO", '
                '"modified_constraint": ""}'
            )
        return '{"satisfaction": "YES", "modified_constraint": "", "constraint_validity": "YES"}'
    raise AssertionError(user[:80])


async def test_scripted_run_has_the_official_shape(tmp_path):
    llm = ScriptedLLM(_responder)
    cfg = BacktranslateConfig(
        input=write_jsonl(tmp_path / "pairs.jsonl", PAIRS), output=tmp_path / "out.jsonl"
    )
    summary = await run_backtranslate(cfg, llm, RunDir(tmp_path / "run"), quiet=True)
    assert summary["pairs"] == 2 and summary["kept"] == 2 and summary["failed"] == 0
    first = read_jsonl(tmp_path / "out.jsonl")[0]
    aug = first["Aug_instruction"]
    assert aug["Refined_Instruction"] == "Describe a rainy evening in a small town, with tips."
    extra = aug["Additional_Instruction"]
    assert extra["Desired_Writing_Style"] == "Use a quiet tone in the response."
    assert "Semantic_elements" not in extra  # checker: not met, not valid -> deleted
    assert "Item_Listing_Details" not in extra  # names a symbol the response lacks
    assert "Morphological_Constraints" not in extra  # NULL
    assert "Digit" in extra and set(extra) & set(PYTHON_KEYS)
    assert first["messages"][1]["content"] == RESPONSE
    assert isinstance(first["overlap"], int)
    schemas = [c.config.json_schema for c in llm.calls]
    assert sum(s is not None for s in schemas) == len(llm.calls) - 2  # all but the 2 refinements
    calls = len(llm.calls)
    again = await run_backtranslate(cfg, llm, RunDir(tmp_path / "run"), quiet=True)
    assert len(llm.calls) == calls and again["kept"] == 2  # resumed: nothing asked twice


async def test_malformed_replies_become_error_rows(tmp_path):
    llm = ScriptedLLM(lambda m, c: "I cannot answer in JSON, sorry.")
    cfg = BacktranslateConfig(input=write_jsonl(tmp_path / "pairs.jsonl", PAIRS[:1]))
    summary = await run_backtranslate(cfg, llm, RunDir(tmp_path / "run"), quiet=True)
    assert summary["failed"] == 1 and summary["kept"] == 0
    assert summary["failures"] == {"ParseFailure: neither constraint reply was JSON": 1}
    errors = next((tmp_path / "run").rglob("records.errors.jsonl"))
    row = read_jsonl(errors)[0]
    assert "neither constraint reply was JSON" in row["_meta"]["error"]
    assert row["_meta"]["raw"] and row["_meta"]["input"]["id"] == "p1"


def _rules(user: str) -> str:
    """What the 0.5B model replied to the refine prompt: the prompt's own rules."""
    return user.split("Rules:", 1)[1].split("[Instruction]", 1)[0].strip()


def _echoing(messages, config):
    """The refine prompt is answered with its rules: always for p1, on the first ask for p2."""
    user = messages[-1].content
    if "Rewrite the instruction" in user:
        if "rainy evening" in user or config.sample_index == 0:
            return _rules(user)
        return "Say hi politely to a new colleague, in one warm sentence."
    return _responder(messages, config)


async def test_refine_reply_echoing_the_prompt_is_reasked_then_dropped(tmp_path):
    llm = ScriptedLLM(_echoing)
    cfg = BacktranslateConfig(input=write_jsonl(tmp_path / "pairs.jsonl", PAIRS))
    summary = await run_backtranslate(cfg, llm, RunDir(tmp_path / "run"), quiet=True)
    assert (summary["kept"], summary["dropped"], summary["failed"]) == (1, 1, 0)
    assert summary["drops"] == {"refine: echoed the prompt": 1}
    refines = [c for c in llm.calls if "Rewrite the instruction" in c.prompt]
    asked = sorted(c.config.sample_index for c in refines if "rainy evening" in c.prompt)
    assert asked == [0, 1, 2] and len(refines) == 5  # p1: asked and re-asked twice; p2: once
    assert refines[0].config == cfg.generation  # first ask: the plain call (same cache key)
    dropped = read_jsonl(next((tmp_path / "run").glob("write-*/records.dropped.jsonl")))
    assert [(r["id"], r["reason"]) for r in dropped] == [("p1", "refine: echoed the prompt")]
    assert dropped[0]["_meta"]["refine_rejected"] == ["echoed the prompt"] * 3
    assert dropped[0]["_meta"]["raw"].startswith("- Keep every table")
    kept = read_jsonl(tmp_path / "run" / "final.jsonl")[0]
    refined = kept["Aug_instruction"]["Refined_Instruction"]
    assert refined == "Say hi politely to a new colleague, in one warm sentence."
    assert kept["_meta"]["refine_rejected"] == ["echoed the prompt"]
    calls = len(llm.calls)
    again = await run_backtranslate(cfg, llm, RunDir(tmp_path / "run"), quiet=True)
    assert len(llm.calls) == calls  # a drop is a verdict: not asked again on resume
    assert (again["kept"], again["dropped"], again["drops"]) == (1, 1, summary["drops"])


def _verdicts(pair, text):
    return [guard(Completion(text=text), []) for guard in refine_guards(pair)]


def test_refine_guards_keep_a_verbatim_instruction_and_reject_the_rules():
    table = " ".join(f"| row {i} | value {i * 7} | note {i} |" for i in range(12))
    pair = {"instruction": f"Sum the values of this table: {table}", "response": "The sum is 462."}
    refined = f"Sum the values of this table and give the total in one sentence: {table}"
    assert _verdicts(pair, refined) == [None, None]  # keeps the table word for word, as asked
    editing = {"instruction": f"Fix the typos: {table}", "response": table}  # answer ~ input
    assert _verdicts(editing, f"Fix every typo in: {table}") == [None, None]
    rules = (
        "- Keep every table, piece of code and input text that the original instruction "
        "contains.\n- Add only about 10 to 20 words to the original instruction."
    )
    assert _verdicts(pair, rules)[1] == "echoed the prompt"
    answer = "Rain falls softly on the quiet town and people hurry home under the lamps."
    assert _verdicts({**pair, "response": answer}, answer)[1] == "echoed the prompt"
    assert _verdicts(pair, "  \n")[0] == "empty reply"


def test_cli_lines_add_one_per_drop_and_failure_reason():
    result = {
        "pairs": 5,
        "kept": 1,
        "dropped": 3,
        "drops": {NO_CONSTRAINT: 2, "refine: echoed the prompt": 1},
        "failed": 1,
        "failures": {"ParseFailure: neither constraint reply was JSON": 1},
        "constraint_types": {"Digit": 1},
    }
    assert show_backtranslate(result) == [
        "pairs: 5",
        "kept: 1",
        "dropped: 3",
        f"  dropped: {NO_CONSTRAINT}: 2",
        "  dropped: refine: echoed the prompt: 1",
        "failed: 1",
        "  failed: ParseFailure: neither constraint reply was JSON: 1",
    ]


def test_bad_input_is_one_line_with_file_and_line(tmp_path):
    path = write_jsonl(tmp_path / "pairs.jsonl", [PAIRS[0], {"instruction": "x"}])
    cfg = BacktranslateConfig(input=path)
    with pytest.raises(InputError, match=r"pairs.jsonl:2: field 'response'"):
        import asyncio

        asyncio.run(run_backtranslate(cfg, ScriptedLLM(), RunDir(tmp_path / "run"), quiet=True))


@pytest.mark.slow
async def test_embedded_model_on_five_pairs(tmp_path):
    rows = [
        {
            "instruction": f"Give {n} tips for {topic}.",
            "response": "\n".join(f"{i + 1}. Tip about {topic} number {i + 1}." for i in range(n)),
        }
        for n, topic in [
            (2, "sleep"),
            (3, "running"),
            (2, "reading"),
            (3, "cooking"),
            (2, "saving money"),
        ]
    ]
    cfg = BacktranslateConfig(
        input=write_jsonl(tmp_path / "pairs.jsonl", rows),
        generation=GenerateConfig(max_tokens=64, temperature=0.0),
    )
    summary = await run_backtranslate(
        cfg, get_llm("embedded-tiny"), RunDir(tmp_path / "run"), quiet=True
    )
    assert summary["pairs"] == 5 and summary["failed"] == 0  # JSON-schema mode: always JSON
    assert summary["kept"] + summary["dropped"] == 5 and summary["kept"] >= 1
    for row in read_jsonl(tmp_path / "run" / "final.jsonl", allow_empty=True):
        assert row["Aug_instruction"]["Additional_Instruction"]
