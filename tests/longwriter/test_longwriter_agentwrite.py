"""AgentWrite with a scripted model: the exact prompts of each step, the guards, the SFT rows,
and resuming a killed run at the next paragraph."""

from __future__ import annotations

import json
import re

import pytest

from lmforge.errors import InputError
from lmforge.evaluation.report import render_report
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig
from lmforge.longwriter import (
    AgentWriteConfig,
    AgentWriteOptions,
    agent_write,
    run_agentwrite,
)
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.rundir import RunDir

INSTRUCTION = "Write a 900-word essay on bees."
PLAN = (
    "Paragraph 1 - Main Point: How bees live in colonies - Word Count: 300 words\n"
    "Paragraph 2 - Main Point: How bees pollinate crops - Word Count: 300 words\n"
    "Paragraph 3 - Main Point: Why bee numbers are falling - Word Count: 300 words"
)
PARAGRAPHS = {
    1: "Paragraph 1\nBees live in colonies of thousands.",
    2: "Pollination feeds the world.",
    3: "**Paragraph 3:** Decline\nPesticides and habitat loss harm bees.",
}

PLAN_PROMPT = """\
You are planning a long piece of writing. Break the writing instruction below into subtasks, \
one subtask for each paragraph of the finished text. Every subtask states the main points its \
paragraph must cover and how many words the paragraph should have.

Writing instruction:
Write a 900-word essay on bees.

Write one subtask per line, in exactly this shape:
Paragraph 1 - Main Point: [a detailed description of what this paragraph covers] - Word Count: \
[N words]
Paragraph 2 - Main Point: [a detailed description of what this paragraph covers] - Word Count: \
[N words]
...

Rules:
- Make each subtask concrete and specific; together the subtasks must cover the whole \
instruction.
- Do not split the text too finely: each paragraph should have between 200 and 1000 words.
- Output the subtask lines and nothing else."""

WRITE_PROMPT_2 = f"""\
You are a skilled writer who is part-way through a long piece of writing. Below are the \
original writing instruction, the plan of the whole piece (one step per paragraph) and the \
text written so far.

Writing instruction:
Write a 900-word essay on bees.

Plan:
{PLAN}

Text written so far:
Paragraph 1
Bees live in colonies of thousands.

Taking the instruction, the plan and the text so far into account, write the next paragraph \
now. It carries out this step of the plan:
Paragraph 2 - Main Point: How bees pollinate crops - Word Count: 300 words

You may open the paragraph with a short subtitle. Output only the new paragraph and never \
repeat text that is already written. The piece continues after this paragraph, so do not \
close it with a conclusion, a summary or a rhetorical hook."""

FINAL_TEXT = (
    "Bees live in colonies of thousands.\n\nPollination feeds the world.\n\n"
    "Decline\nPesticides and habitat loss harm bees."
)


class Killed(BaseException):
    """Stands for SIGKILL/Ctrl-C in the middle of a paragraph: nothing may catch it."""


def step_of(prompt: str) -> int:
    match = re.search(r"step of the plan:\nParagraph (\d+)", prompt)
    assert match, prompt
    return int(match.group(1))


def writer(plan: str = PLAN, paragraphs: dict[int, str] = PARAGRAPHS, kill_at: int | None = None):
    """A scripted model that plans ``plan`` and writes ``paragraphs[k]`` for step k."""
    seen = []

    def respond(messages, config):
        seen.append(messages)
        if kill_at is not None and len(seen) == kill_at:
            raise Killed()
        prompt = messages[-1].content
        if prompt.startswith("You are planning"):
            return plan
        return paragraphs[step_of(prompt)]

    return ScriptedLLM(respond)


def config(**options) -> AgentWriteConfig:
    return AgentWriteConfig(
        instruction=INSTRUCTION,
        generation=GenerateConfig(max_tokens=256, temperature=1.0),
        options=AgentWriteOptions(min_length_ratio=0, **options),
    )


async def test_each_step_sends_the_exact_prompt(tmp_path):
    llm = writer()
    summary = await run_agentwrite(config(), llm, RunDir(tmp_path), quiet=True)
    prompts = [call.prompt for call in llm.calls]
    assert len(prompts) == 4
    assert prompts[0] == PLAN_PROMPT
    assert prompts[2] == WRITE_PROMPT_2
    # the first paragraph sees no text yet; the third sees both earlier replies, raw
    assert "Text written so far:\n\n\nTaking" in prompts[1]
    assert (
        "Text written so far:\nParagraph 1\nBees live in colonies of thousands.\n\n"
        "Pollination feeds the world.\n\nTaking" in prompts[3]
    )
    assert all(len(call.messages) == 1 and call.messages[0].role == "user" for call in llm.calls)
    assert all(
        call.config.temperature == 1.0 and call.config.max_tokens == 256 for call in llm.calls
    )
    assert summary["kept"] == 1 and summary["dropped"] == {}


async def test_output_is_a_trl_messages_row_with_labels_stripped(tmp_path):
    out = tmp_path / "sft.jsonl"
    cfg = config().model_copy(update={"output": out})
    run = RunDir(tmp_path / "run")
    summary = await run_agentwrite(cfg, writer(), run, quiet=True)
    expected = {
        "messages": [
            {"role": "user", "content": INSTRUCTION},
            {"role": "assistant", "content": FINAL_TEXT},
        ]
    }
    assert read_jsonl(out) == [expected]
    assert not (run / "final.jsonl").exists()  # the SFT rows are written once: to --output
    row = read_jsonl(run / "agentwrite.jsonl")[0]
    assert row["prompt"] == INSTRUCTION and row["messages"] == expected["messages"]
    meta = row["_meta"]
    assert meta["planned_words"] == [300, 300, 300] and meta["planned_total"] == 900
    assert meta["target_words"] == 900 and meta["words"] == summary["output_words"] == 17
    assert "dropped" not in meta and meta["mode"] == "sequential"
    assert meta["usage"]["completion_tokens"] > 0 and meta["calls"] == 4
    saved = json.loads((run / "summary.json").read_text())
    assert saved["report"] == ["longwriter"] and saved["what"] == "agentwrite"
    assert (run / "config.yaml").read_text().startswith("input: null\ninstruction: Write a 900")


async def test_in_memory_agent_write_gives_the_same_text():
    result = await agent_write(
        writer(),
        INSTRUCTION,
        options=AgentWriteOptions(min_length_ratio=0),
        config=GenerateConfig(max_tokens=256, temperature=1.0),
    )
    assert result.text == FINAL_TEXT
    assert result.steps == PLAN.split("\n")
    assert result.paragraphs == list(PARAGRAPHS.values())


async def test_killed_run_resumes_at_the_next_paragraph(tmp_path):
    run = RunDir(tmp_path / "run")
    with pytest.raises(Killed):  # dies while paragraph 3 is being written
        await run_agentwrite(config(), writer(kill_at=4), run, quiet=True)
    logged = read_jsonl(run / "paragraphs.jsonl")
    assert [r["step"] for r in logged] == ["plan", "paragraph-1", "paragraph-2"]
    assert not (run / "final.jsonl").exists()

    resumed = writer()
    summary = await run_agentwrite(config(), resumed, run, quiet=True)
    assert [step_of(call.prompt) for call in resumed.calls] == [3]  # nothing re-paid
    assert summary["kept"] == 1 and summary["llm_calls"] == 1
    assert read_jsonl(run / "final.jsonl")[0]["messages"][1]["content"] == FINAL_TEXT

    again = writer()  # a finished run: the runner skips the record, no call at all
    await run_agentwrite(config(), again, run, quiet=True)
    assert again.calls == []


async def test_parallel_mode_writes_every_paragraph_without_the_text_so_far(tmp_path):
    llm = writer()
    run = RunDir(tmp_path)
    await run_agentwrite(config(parallel=True), llm, run, quiet=True)
    writes = [call.prompt for call in llm.calls[1:]]
    assert sorted(step_of(p) for p in writes) == [1, 2, 3]
    assert all("Text written so far:\n\n\nTaking" in p for p in writes)
    row = read_jsonl(run / "agentwrite.jsonl")[0]
    assert row["messages"][1]["content"] == FINAL_TEXT and row["_meta"]["mode"] == "parallel"


def numbered_plan(n: int) -> str:
    return "\n".join(
        f"Paragraph {k} - Main Point: point {k} - Word Count: 200 words" for k in range(1, n + 1)
    )


async def test_plans_over_50_steps_are_skipped_after_the_plan_call(tmp_path):
    llm = writer(plan=numbered_plan(51))
    run = RunDir(tmp_path)
    summary = await run_agentwrite(config(plan_max_tokens=4096), llm, run, quiet=True)
    assert len(llm.calls) == 1
    assert summary["dropped"] == {"too_many_steps": 1} and summary["kept"] == 0
    assert read_jsonl(run / "final.jsonl", allow_empty=True) == []
    assert read_jsonl(run / "agentwrite.jsonl", allow_empty=True) == []  # a drop leaves it
    row = read_jsonl(run / "agentwrite.dropped.jsonl")[0]
    assert row["reason"] == "too_many_steps" and len(row["_meta"]["steps"]) == 51

    fifty = writer(plan=numbered_plan(50), paragraphs={k: f"Text {k}." for k in range(1, 51)})
    summary = await run_agentwrite(
        config(plan_max_tokens=4096), fifty, RunDir(tmp_path / "fifty"), quiet=True
    )
    assert len(fifty.calls) == 51 and summary["kept"] == 1


async def test_an_empty_paragraph_abandons_the_item(tmp_path):
    llm = writer(paragraphs={**PARAGRAPHS, 2: "  \n"})
    summary = await run_agentwrite(config(), llm, RunDir(tmp_path), quiet=True)
    assert len(llm.calls) == 3  # plan, paragraph 1, the empty paragraph 2; never paragraph 3
    assert summary["dropped"] == {"empty_paragraph": 1}


async def test_official_empty_check_looks_at_the_last_paragraph_only(tmp_path):
    middle = writer(paragraphs={**PARAGRAPHS, 2: ""})
    await run_agentwrite(
        config(official_empty_check=True), middle, RunDir(tmp_path / "a"), quiet=True
    )
    assert len(middle.calls) == 4
    row = read_jsonl(tmp_path / "a" / "agentwrite.jsonl")[0]
    assert row["messages"][1]["content"] == FINAL_TEXT.replace(
        "Pollination feeds the world.\n\n", ""
    )
    last = writer(paragraphs={**PARAGRAPHS, 3: ""})
    summary = await run_agentwrite(
        config(official_empty_check=True), last, RunDir(tmp_path / "b"), quiet=True
    )
    assert summary["dropped"] == {"empty_paragraph": 1}


async def test_too_short_outputs_are_dropped_against_the_length_or_the_plan(tmp_path):
    cfg = config().model_copy(update={"options": AgentWriteOptions()})  # ratio 1/3
    summary = await run_agentwrite(cfg, writer(), RunDir(tmp_path / "plan"), quiet=True)
    assert summary["dropped"] == {"too_short": 1}  # 17 words against a 900-word plan
    short_target = cfg.model_copy(update={"length": 40})
    summary = await run_agentwrite(short_target, writer(), RunDir(tmp_path / "len"), quiet=True)
    assert summary["kept"] == 1  # 17 >= 40 / 3
    floor = config(min_words=18)
    summary = await run_agentwrite(floor, writer(), RunDir(tmp_path / "min"), quiet=True)
    assert summary["dropped"] == {"too_short": 1}


async def test_labels_can_be_kept_and_paragraph_tokens_capped(tmp_path):
    llm = writer()
    run = RunDir(tmp_path)
    await run_agentwrite(
        config(strip_labels=False, tokens_per_planned_word=0.5, plan_max_tokens=64),
        llm,
        run,
        quiet=True,
    )
    assert [c.config.max_tokens for c in llm.calls] == [64, 150, 150, 150]
    text = read_jsonl(run / "agentwrite.jsonl")[0]["messages"][1]["content"]
    assert text.startswith("Paragraph 1\nBees") and "**Paragraph 3:** Decline" in text


async def test_batches_from_a_file_and_bad_rows_before_any_call(tmp_path):
    good = tmp_path / "in.jsonl"
    good.write_text(
        json.dumps({"prompt": INSTRUCTION, "length": 30})
        + "\n"
        + json.dumps({"id": "b", "prompt": INSTRUCTION + " "})
        + "\n"
    )
    cfg = AgentWriteConfig(input=good, options=AgentWriteOptions(min_length_ratio=0))
    llm = writer()
    summary = await run_agentwrite(cfg, llm, RunDir(tmp_path / "run"), quiet=True)
    assert summary["kept"] == 2 and len(llm.calls) == 8
    rows = read_jsonl(tmp_path / "run" / "agentwrite.jsonl")
    assert rows[0]["_meta"]["target_words"] == 30 and rows[1]["id"] == "b"

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"prompt": "ok"}) + "\n" + json.dumps({"prompt": "x", "length": 0}) + "\n"
    )
    untouched = writer()
    with pytest.raises(InputError, match=r"bad.jsonl:2: field 'length'"):
        await run_agentwrite(AgentWriteConfig(input=bad), untouched, RunDir(tmp_path / "b"))
    assert untouched.calls == []
    with pytest.raises(InputError, match="either an instruction or --input"):
        await run_agentwrite(AgentWriteConfig(), untouched, RunDir(tmp_path / "c"))


async def test_the_report_plots_written_words_against_the_target(tmp_path):
    import lmforge.longwriter.report  # noqa: F401  (registers the section, as `lmforge report`)

    run = RunDir(tmp_path)
    await run_agentwrite(config(), writer(), run, quiet=True)
    html = render_report(run.path, strict=True).read_text()
    assert "AgentWrite: written words vs target" in html
    assert html.count("data:image/png;base64") >= 2  # token histogram + the length plot


def bullet_writer(bullets: str) -> ScriptedLLM:
    """Plans ``bullets`` (no paragraph labels: every line a step); every paragraph 10 words."""

    def respond(messages, config):
        prompt = messages[-1].content
        return bullets if prompt.startswith("You are planning") else "word " * 10

    return ScriptedLLM(respond)


async def test_a_runaway_text_stops_at_the_length_ceiling(tmp_path):
    bullets = "Plan:\n" + "\n".join(f"- point {k}" for k in range(1, 21))
    llm = bullet_writer(bullets)
    cfg = config(max_length_ratio=4).model_copy(update={"length": 10})
    run = RunDir(tmp_path)
    summary = await run_agentwrite(cfg, llm, run, quiet=True)
    assert summary["dropped"] == {"too_long": 1}
    assert len(llm.calls) == 1 + 5  # stops once the text passes 40 words, not after 21 steps
    assert read_jsonl(run / "agentwrite.dropped.jsonl")[0]["_meta"]["paragraph_words"] == [10] * 5
    unguarded = bullet_writer(bullets)
    off = config().model_copy(update={"length": 10})
    await run_agentwrite(off, unguarded, RunDir(tmp_path / "off"), quiet=True)
    assert len(unguarded.calls) == 1 + 21  # official: no ceiling; the "Plan:" line is a step too


async def test_a_stage_without_a_model_is_a_stage_error():
    from types import SimpleNamespace

    from lmforge.errors import StageError
    from lmforge.longwriter.agentwrite_run import agentwrite_stage

    stage = agentwrite_stage(config(), log=None)
    with pytest.raises(StageError, match="AgentWrite needs a model"):
        await stage.fn({"id": "a", "prompt": INSTRUCTION}, SimpleNamespace(llm=None))
