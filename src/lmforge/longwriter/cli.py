"""``lmforge longwriter``: the verb table (each verb is a library function and its config)."""

from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "write",
        "lmforge.longwriter.agentwrite_run:write",
        "AgentWrite: plan, then write paragraph by paragraph; SFT rows (LongWriter-6k format).",
        config="lmforge.longwriter.agentwrite_run:AgentWriteConfig",
        args=("instruction",),
        aliases={
            "--parallel": "options.parallel",
            "--max-steps": "options.max_steps",
            "--plan-max-tokens": "options.plan_max_tokens",
            "--tokens-per-planned-word": "options.tokens_per_planned_word",
        },
        show="lmforge.longwriter.agentwrite_run:show_write",
    ),
    Verb(
        "bench",
        "lmforge.longwriter.commands:bench",
        "LongBench-Write: length score S_l (and S_q, S with --judge) of predictions or a model.",
        config="lmforge.longwriter.longbench_write:LongBenchWriteConfig",
    ),
    Verb(
        "ruler",
        "lmforge.longwriter.commands:ruler",
        "LongWrite-Ruler: how long a model actually writes when asked for 1k ... 30k words.",
        config="lmforge.longwriter.ruler:RulerConfig",
    ),
)

PROBES = {
    "write": Probe(
        args=("--input", "{input}", "--model", "scripted", "--output", "{output}"),
        samples={"input": [{"prompt": "Write a story about a lighthouse keeper."}]},
        output="--output",
    ),
    "bench": Probe(
        args=("--predictions", "{predictions}"),
        samples={
            "predictions": [
                {"prompt": "Write 100 words about the sea.", "length": 100, "response": "Waves."}
            ]
        },
        model=False,
    ),
    # --data given: without it the built-in prompts are used and no file is read
    "ruler": Probe(
        args=("--data", "{data}", "--model", "scripted"),
        samples={"data": [{"prompt": "Write 1000 words about the sea.", "length": 1000}]},
    ),
}
