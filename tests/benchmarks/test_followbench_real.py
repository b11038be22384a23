"""FollowBench through real embedded models: generating answers and judging three items."""

from __future__ import annotations

import pytest

from lmforge.benchmarks.followbench import (
    FBResponse,
    format_fb_report,
    generate_fb_responses,
    load_followbench,
    score_followbench,
)
from lmforge.llm.registry import get_llm
from lmforge.llm.types import GenerateConfig

pytestmark = pytest.mark.slow  # about 2 minutes on the shared 2-core machine


async def test_embedded_model_judges_three_items(test_data) -> None:
    items = load_followbench(test_data / "crab" / "followbench", ("style",))
    group = [i for i in items if i.example_id == 1]
    answered = [i for i in group if 1 <= i.level <= 3]
    responses = {
        i.key: FBResponse(i.key, "Sure. Here is a short, cheerful answer to the request.")
        for i in answered
    }
    judge = get_llm("embedded")
    config = GenerateConfig(max_tokens=48, temperature=0.0)
    report = await score_followbench(group, responses, judge, config=config)
    judged = [o for o in report.outcomes if o.method == "judge"]
    assert len(judged) == 3
    for o in judged:  # whatever a 0.5B judge writes: a usable verdict or a counted failure
        assert o.raw
        assert (o.hard in (0, 1) and o.failure is None) or (o.hard is None and o.failure)
    cells = report.cells["style"]
    assert sum(cells[lv].judged for lv in (1, 2, 3)) == 3
    assert sum(cells[lv].missing for lv in (4, 5)) == 2
    lines = format_fb_report(report)
    assert "by judge: 3" in lines[-2] and "missing responses: 2" in lines[-2]


async def test_tiny_model_answers_one_group(test_data) -> None:
    items = load_followbench(test_data / "crab" / "followbench", ("format",))
    rows = await generate_fb_responses(
        items, get_llm("embedded-tiny"), GenerateConfig(max_tokens=16), limit=1
    )
    assert [r["level"] for r in rows] == [1, 2, 3, 4, 5]
    assert all(r["category"] == "format" and r["example_id"] == 1 for r in rows)
    assert all(isinstance(r["response"], str) for r in rows)
