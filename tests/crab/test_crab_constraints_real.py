"""The constraint library on text written by the real embedded model (no scripted doubles)."""

from __future__ import annotations

import random

import pytest

from lmforge.crab.constraints import from_llm, python_constraints
from lmforge.llm.registry import get_llm
from lmforge.llm.types import GenerateConfig


@pytest.mark.parametrize(
    "spec", ["embedded-tiny", pytest.param("embedded", marks=pytest.mark.slow)]
)
async def test_constraints_written_from_a_real_answer_hold_on_it(spec):
    """Back-translation's premise on a real answer: every Python-written constraint holds, and
    the LLM-type checkers give verdicts (never crash) on whatever the model produced."""
    llm = get_llm(spec, cache=False)
    prompt = "In three short sentences, explain why the sky is blue. Then list two facts with '-'."
    completion = await llm.generate(prompt, GenerateConfig(max_tokens=64, temperature=0.0))
    response = completion.text
    assert response.strip()
    for seed in range(5):
        for key, c in python_constraints(response, random.Random(seed)).items():
            assert c.check(response) is True, (key, c.text, response)
            assert from_llm(key, c.text).check(response) is True, (key, c.text)
    opening = " ".join(w for w in response.split()[:4] if "'" not in w and '"' not in w)
    if len(opening.split()) >= 2:
        assert from_llm("Specific_Sentence", f'Begin with "{opening}".').check(response) is True
    for key, text in [
        ("Multi-lingual_Constraints", "Write the answer in English."),
        ("Item_Listing_Details", "Use hyphens (-) for the list."),
        ("Special_Output_Format", "Return the answer as JSON."),
        ("Paragraphs_Constraints", "Write two paragraphs."),
        ("Key_Formatting", "Put key terms in bold."),
    ]:
        assert from_llm(key, text).check(response) in (True, False)
    if spec == "embedded":  # the tiny model may ramble in any language
        assert from_llm("Multi-lingual_Constraints", "Write in English.").check(response) is True
