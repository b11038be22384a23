"""The pairwise judge: both orders, five-way boxed verdicts, ties and failures count as wrong."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lmforge.config import get_settings
from lmforge.llm.scripted import ScriptedLLM
from lmforge.rmbench.judge import JudgeScorer
from lmforge.rmbench.run import RMBenchConfig, run_rmbench
from lmforge.rmbench.scorers import ScorerOptions

RECORD = {
    "prompt": "Is the sky blue?",
    "chosen": ["right 0", "right 1", "right 2"],
    "rejected": ["wrong 0", "wrong 1", "wrong 2"],
}


def answers(messages) -> tuple[str, str]:
    text = messages[-1].content
    a = re.search(r"\[Start of answer A\]\n(.*?)\n\[End of answer A\]", text, re.S).group(1)
    b = re.search(r"\[Start of answer B\]\n(.*?)\n\[End of answer B\]", text, re.S).group(1)
    return a, b


def fair(messages, config) -> str:
    a, _ = answers(messages)
    return "Thinking... \\boxed{A>B}" if a.startswith("right") else "So: \\boxed{B>>A}"


async def judged(responder, **options) -> tuple[dict, ScriptedLLM]:
    llm = ScriptedLLM(responder)
    scorer = JudgeScorer(llm, ScorerOptions(**options))
    return await scorer.evaluate(RECORD), llm


async def test_a_fair_judge_gets_every_cell_in_both_orders():
    result, llm = await judged(fair)
    assert result["correct"] == [[1, 1, 1]] * 3
    assert len(llm.calls) == 18  # 9 cells x 2 orders
    first, second = answers(llm.calls[0].messages), answers(llm.calls[1].messages)
    assert first == ("right 0", "wrong 0") and second == ("wrong 0", "right 0")
    cell = result["comparisons"][0][0]
    assert cell["forward"]["verdict"] == "A>B" and cell["backward"]["verdict"] == "A>>B"
    assert "Is the sky blue?" in llm.calls[0].prompt


async def test_position_bias_ties_and_garbage_are_not_correct():
    always_first, _ = await judged(lambda m, c: "\\boxed{A>>B}")
    assert always_first["correct"] == [[0] * 3] * 3  # the orders disagree: a tie
    tie, _ = await judged(lambda m, c: "They are equal. \\boxed{A=B}")
    assert tie["correct"] == [[0] * 3] * 3
    garbage, llm = await judged(lambda m, c: "I like both.", judge_retries=1)
    assert garbage["correct"] == [[0] * 3] * 3
    assert len(llm.calls) == 36  # each order asked twice
    retry = llm.calls[1].config
    assert retry.temperature == 0.7 and retry.sample_index == 1  # a re-ask is a new sample


async def test_judge_run_writes_correct_matrix_and_stats(tmp_path):
    def chat_file(rows: list[dict]) -> Path:
        path = tmp_path / "data" / "chat_filtered.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(rows))
        return path.parent

    data = chat_file([{"id": i, **RECORD} for i in range(2)])
    config = RMBenchConfig(scorer="judge:scripted", data=[data])
    scorer = JudgeScorer(ScriptedLLM(fair), spec="judge:scripted")
    run = await run_rmbench(config, out=tmp_path / "run", scorer=scorer, quiet=True, report=False)
    assert [line for line in run.lines()] == [
        "chat: easy=100.0 normal=100.0 hard=100.0 avg=100.0",
        "overall: 100.0",
    ]
    results = [json.loads(x) for x in (run.path / "results.jsonl").read_text().splitlines()]
    assert results[0] == {"id": 0, "domain": "chat", "correct": [[1, 1, 1]] * 3}
    summary = json.loads((run.path / "summary.json").read_text())
    assert summary["judge"]["pairs"] == 18 and summary["judge"]["consistency"] == 1.0
    assert summary["stages"][0]["llm_calls"] == 36


SHORT = [
    ("Capital of France?", "Paris.", "Lyon."),
    ("2 + 2 = ?", "4.", "5."),
    ("Largest planet?", "Jupiter.", "Mars."),
    ("H2O is?", "Water.", "Salt."),
    ("Opposite of hot?", "Cold.", "Warm."),
]


@pytest.mark.slow
async def test_embedded_judge_on_five_prompts(tmp_path, monkeypatch):
    """The real embedded model judges 5 short prompts (45 comparisons, 90 calls). A 135M model
    cannot judge; the test is that every call is made, parsed or counted, and the table and the
    report come out."""
    monkeypatch.setenv("LMFORGE_THREADS", "1")  # 2 spinning threads crawl on a busy 2-core CI
    get_settings.cache_clear()
    rows = [
        {"id": i, "prompt": q, "chosen": [good, good, f"**{good}**"], "rejected": [bad] * 3}
        for i, (q, good, bad) in enumerate(SHORT)
    ]
    (tmp_path / "chat_filtered.json").write_text(json.dumps(rows))
    config = RMBenchConfig(
        scorer="judge:embedded-tiny",
        data=[tmp_path],
        scoring=ScorerOptions(judge_max_tokens=16, judge_retries=0),
    )
    run = await run_rmbench(config, out=tmp_path / "run", quiet=True)
    assert run.samples == 5 and run.failed == 0
    summary = json.loads((run.path / "summary.json").read_text())
    assert summary["judge"]["pairs"] == 45 and summary["judge"]["calls"] == 90
    assert summary["tokens"] > 0
    assert 0.0 <= run.scores.overall <= 100.0
    html = (run.path / "report.html").read_text()
    assert "RM-Bench: judge:embedded-tiny" in html and "Judge: 45 comparisons" in html
