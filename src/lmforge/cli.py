"""``lmforge``: the core verbs below plus one group per declared system (:mod:`lmforge.systems`).

A table, not logic: every verb is a library function and its config (:mod:`lmforge.verbs`);
what runs them is :mod:`lmforge.entry`. Nothing heavy is imported until a command runs, so
``lmforge --help`` answers at once.

Exit codes (``docs/exit-codes.md``): 0 the work was done; 1 an error; 2 bad input; 3 the run
finished with failed records (outputs written; a rerun with ``--out RUN_DIR`` retries them);
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

from .entry import main
from .probes import Probe
from .verbs import Verb

VERBS = (
    Verb("models", "lmforge.llm.commands:models", "List the model backends and their specs."),
    Verb(
        "generate",
        "lmforge.llm.commands:generate",
        "Generate a completion and stream it to stdout.",
        config="lmforge.llm.commands:GenerateRequest",
        args=("prompt",),
    ),
    Verb(
        "serve-model",
        "lmforge.llm.commands:serve_model",
        "Serve a model over the OpenAI API (embedded: llama.cpp; hf:PATH: FastAPI).",
        config="lmforge.llm.commands:ServeConfig",
    ),
    Verb("cache stats", "lmforge.llm.commands:cache_stats", "Entries per model, file and size."),
    Verb(
        "cache clear",
        "lmforge.llm.commands:cache_clear",
        "Delete cached calls.",
        config="lmforge.llm.commands:CacheClearConfig",
    ),
    Verb(
        "batch",
        "lmforge.pipeline.batch:batch",
        "One completion per JSONL row (resumable; `--shard i/n` for many machines).",
        config="lmforge.pipeline.batch:BatchConfig",
    ),
    Verb(
        "merge",
        "lmforge.pipeline.merge:merge",
        "Join the outputs of `--shard i/n` runs into one file (each id once).",
        config="lmforge.pipeline.merge:MergeConfig",
        args=("inputs",),
    ),
    Verb(
        "benchmarks",
        "lmforge.evaluation.commands:benchmarks",
        "List the registered benchmarks of every installed system.",
    ),
    Verb(
        "eval",
        "lmforge.evaluation.commands:run_eval",
        "Run any registered benchmark: run directory, scores and an HTML report.",
        config="lmforge.evaluation.commands:EvalConfig",
        args=("name",),
    ),
    Verb(
        "report",
        "lmforge.evaluation.commands:report",
        "Render RUN_DIR/report.html: the paper's table, summary, samples, errors, plots.",
        config="lmforge.evaluation.commands:ReportConfig",
        args=("run_dir",),
    ),
    Verb(
        "train sft",
        "lmforge.training.sft:sft",
        "Supervised fine-tuning on TRL messages rows (TRL SFTTrainer).",
        config="lmforge.training.sft:SFTRecipe",
    ),
    Verb(
        "train dpo",
        "lmforge.training.dpo:dpo",
        "Direct preference optimisation on preference pairs (TRL DPOTrainer, precomputed"
        " reference log-probs).",
        config="lmforge.training.dpo:DPORecipe",
    ),
)
GROUPS = {"cache": "The SQLite cache of LLM calls.", "train": "Training recipes (TRL)."}

SFT_PROBE = Probe(
    args=("--data", "{data}", "--model", "hf:embedded-tiny", "--output-dir", "sft-out"),
    samples={
        "data": [
            {
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello."},
                ]
            }
        ]
    },
    model=False,
    refusals_only="a valid run imports torch and TRL and trains a model (over 10 s); every bad"
    " --data row is refused before any heavy import",
)
"""``train sft`` (and its alias ``crab train-sft``): only the refusals are probed."""

DPO_PROBE = Probe(
    args=("--data", "{data}", "--model", "hf:embedded-tiny", "--output-dir", "dpo-out"),
    samples={
        "data": [
            {
                "prompt": [{"role": "user", "content": "Hi"}],
                "chosen": [{"role": "assistant", "content": "Hello."}],
                "rejected": [{"role": "assistant", "content": "Go away."}],
            }
        ]
    },
    model=False,
    refusals_only="a valid run imports torch and TRL and trains a model (over 10 s); every bad"
    " --data row is refused before any heavy import",
)
"""``train dpo`` (and ``longreward dpo``, the same function): only the refusals are probed."""

PROBES = {
    "train sft": SFT_PROBE,
    "train dpo": DPO_PROBE,
    "batch": Probe(
        args=("--input", "{input}", "--model", "scripted", "-q", "--output", "{output}"),
        samples={"input": [{"prompt": "What is 2+2?"}]},
        output="--output",
    ),
    "merge": Probe(
        args=("{inputs}", "-o", "{output}"),
        samples={"inputs": [{"id": "a"}]},
        output="-o",
        accepts=("inputs-empty",),
        model=False,
    ),
    "eval": Probe(
        args=("longwrite_ruler", "--predictions", "{predictions}", "--limit", "1", "-q"),
        samples={"predictions": [{"id": "guide-1000", "response": "A short guide."}]},
        model=False,
    ),
    "report": Probe(args=("{run_dir}",), samples={"run_dir": "run"}, model=False),
}
"""A valid run of each core verb that reads a file, for the hostile suite (`lmforge.probes`)."""

HELP = "lmforge: ten LLM research systems on one core. `lmforge models` lists model specs."

if __name__ == "__main__":
    main()
