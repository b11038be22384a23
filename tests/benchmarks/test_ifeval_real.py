"""IFEval scoring of what a real embedded model writes (no scripted doubles): whatever the model
produces, scoring must give consistent booleans and never crash."""

from __future__ import annotations

import pytest

from lmforge.benchmarks.ifeval import IFEvalInput, format_report, score_ifeval
from lmforge.llm.registry import get_llm
from lmforge.llm.types import GenerateConfig

pytestmark = pytest.mark.slow  # loading the model and decoding take about a minute on 2 cores

INPUTS = [
    IFEvalInput(
        key=1,
        prompt="Write one sentence about the sea in all lowercase letters, without any commas.",
        instruction_id_list=["change_case:english_lowercase", "punctuation:no_comma"],
        kwargs=[{}, {}],
    ),
    IFEvalInput(
        key=2,
        prompt='Give a JSON object with a key "color" naming a color. Wrap it in ```json fences.',
        instruction_id_list=["detectable_format:json_format", "length_constraints:number_words"],
        kwargs=[{}, {"num_words": 40, "relation": "less than"}],
    ),
]


async def test_scoring_real_model_responses_on_the_tiny_model():
    llm = get_llm("embedded-tiny", cache=False)
    config = GenerateConfig(max_tokens=48, temperature=0.0)
    responses = {item.prompt: (await llm.generate(item.prompt, config)).text for item in INPUTS}
    report = score_ifeval(INPUTS, responses)
    assert [row.response for row in report.rows] == [responses[i.prompt] for i in INPUTS]
    for row in report.rows:
        assert len(row.strict) == len(row.loose) == 2
        assert all(loose or not strict for strict, loose in zip(row.strict, row.loose, strict=True))
    assert format_report(report)[0].startswith("prompt_level_strict: ")
