"""``lmforge crab``: the verb table (each verb is a library function and its config)."""

from lmforge.cli import SFT_PROBE
from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "backtranslate",
        "lmforge.crab.backtranslate:backtranslate",
        "Write down the constraints each response already meets (rows: instruction, response).",
        config="lmforge.crab.backtranslate:BacktranslateConfig",
        show="lmforge.crab.backtranslate:show_backtranslate",
    ),
    Verb(
        "compose",
        "lmforge.crab.compose:compose",
        "Forward + reverse training conversations (TRL messages) from back-translated items.",
        config="lmforge.crab.compose:ComposeConfig",
    ),
    Verb(
        "ifeval",
        "lmforge.crab.evaluate:ifeval",
        "Score IFEval responses (strict/loose, prompt/instruction level), or a model's.",
        config="lmforge.crab.evaluate:IFEvalCommand",
    ),
    Verb(
        "followbench",
        "lmforge.crab.evaluate:followbench",
        "FollowBench HSR/SSR/CSL per level: rule-checked subsets by code, the rest by --judge.",
        config="lmforge.crab.evaluate:FollowBenchCommand",
    ),
    Verb(
        "train-sft",
        "lmforge.training.sft:sft",
        "Alias of `lmforge train sft`: SFT on the composed conversations (TRL SFTTrainer).",
        config="lmforge.training.sft:SFTRecipe",
    ),
)

_USER = {"role": "user", "content": "Write a haiku about rain."}
_ASSISTANT = {"role": "assistant", "content": "Soft rain on the roof."}
_ITEM = {
    "id": 1,
    "messages": [_USER, _ASSISTANT],
    "Aug_instruction": {
        "Refined_Instruction": "Write a haiku about rain.",
        "Additional_Instruction": {"Specific_Sentence": "End the poem with the word roof."},
    },
}
_IFEVAL = "Say hi."
"""Shorter than every other text of its rows: the hostile suite bends the longest text of a row
(U+2028 inside it), which must not be the prompt that joins inputs to responses."""
_IFEVAL_INPUT = {
    "prompt": _IFEVAL,
    "instruction_id_list": ["startend:end_checker"],
    "kwargs": [{"end_phrase": "Is there anything else I can help with?"}],
}
_FB_ITEM = {
    "example_id": 1,
    "category": "content",
    "source": "E2E",
    "level": 1,
    "instruction": "Describe the restaurant in one sentence.",
    "target": "",
}

PROBES = {
    # `scripted` answers "OK", which is no constraint JSON: the pair would fail its record (exit
    # 3). Every row is checked before sharding, so shard 0 of 1000, which this pair's id is not
    # in (it hashes to 225), checks the whole file and runs nothing. No --output: a shard's
    # output file carries the shard in its name (out.shard-0-of-1000.jsonl).
    "backtranslate": Probe(
        args=("--input", "{input}", "--model", "scripted", "--shard", "0/1000"),
        samples={"input": [{"instruction": _USER["content"], "response": _ASSISTANT["content"]}]},
    ),
    "compose": Probe(
        args=("--input", "{input}", "--extra", "{extra}", "--output", "{output}"),
        samples={"input": [_ITEM], "extra": [{"messages": [_USER, _ASSISTANT]}]},
        output="--output",
        model=False,
    ),
    "ifeval": Probe(
        args=("--inputs", "{inputs}", "--responses", "{responses}"),
        samples={
            "inputs": [_IFEVAL_INPUT],
            "responses": [
                {"prompt": _IFEVAL, "response": "Hi! Is there anything else I can help with?"}
            ],
        },
        model=False,
    ),
    # the answer as an official API reply (``choices``): a null ``response`` is a failed
    # generation (scored as missing), not bad input, so the probe uses the form that has no null
    "followbench": Probe(
        args=("--data", "{data}", "--responses", "{responses}"),
        samples={
            "data": [_FB_ITEM],
            "responses": [
                {
                    "category": "content",
                    "example_id": 1,
                    "level": 1,
                    "choices": [{"message": {"content": "A small place with good soup."}}],
                }
            ],
        },
        model=False,
    ),
    "train-sft": SFT_PROBE,
}
