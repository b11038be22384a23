"""Cited answering: the LQAC prompts, middle truncation, and the answer verb."""

from __future__ import annotations

import asyncio

from helpers import lmforge_cli
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig
from lmforge.longcite import cite_answer, lqac_prompt, number_context, truncate_middle
from lmforge.longcite.render import render_lines

DOC = "The bridge opened in 1932. It is in Sydney. It has eight lanes."


def test_sft_prompt_is_the_official_layout():
    prompt = lqac_prompt(number_context(DOC), "Where is it?")
    head, rest = prompt.split("\n\n[Document Start]\n", 1)
    assert "<statement>{S}<cite>[{s1}-{e1}][{s2}-{e2}]...</cite></statement>" in head
    assert rest == (
        "<C0>The bridge opened in 1932. <C1>It is in Sydney. <C2>It has eight lanes."
        "\n[Document End]\n\nWhere is it?"
    )
    one_shot = lqac_prompt(number_context(DOC), "Where is it?", "one_shot")
    assert one_shot.endswith("[Answer with Citations]")
    assert "[Question]\nWhere is it?\n\n[Remind]" in one_shot


def test_truncate_middle_keeps_first_and_last_halves():
    text = " ".join(f"w{i}" for i in range(10))
    assert truncate_middle(text, 20) == (text, False)
    cut, done = truncate_middle(text, 4)
    assert done and cut == "w0 w1 w8 w9"
    cut, _ = truncate_middle(text, 5)
    assert cut == "w0 w1 w7 w8 w9"


def test_cite_answer_resolves_citations_and_truncates():
    model = ScriptedLLM(
        ["[Answer with Citations]\nstatement>It is in Sydney.<cite>[1-1]</cite></statement>"]
    )
    got = asyncio.run(
        cite_answer(model, DOC, "Where?", config=GenerateConfig(max_tokens=64), max_input_tokens=90)
    )
    assert got.truncated and "[Document End]" in model.calls[0].prompt
    assert render_lines(got.parsed) == ["It is in Sydney. [1-1]", "    [1-1] It is in Sydney."]


def test_answer_verb_prints_the_answer_and_writes_html(tmp_path):
    ctx = tmp_path / "doc.txt"
    ctx.write_text(DOC, encoding="utf-8")
    html = tmp_path / "answer.html"
    result = lmforge_cli("longcite", "answer", "--context", ctx, "-m", "scripted",
                         "--html", html, "Where is it?")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"  # the scripted model's reply, uncited free text
    assert "statements: 0 (cited: 0)" in result.stderr and html.read_text().startswith("<!doctype")
    missing = lmforge_cli("longcite", "answer", "--context", tmp_path / "nope.txt", "Q?")
    assert missing.returncode == 2 and "nope.txt" in missing.stderr
