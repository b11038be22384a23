"""``lmforge distill``: the verb table (each verb is a library function and its config)."""

from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "extract",
        "lmforge.distill.extraction:extract",
        "Run a teacher over a JSONL corpus; keep top-p-then-top-k log-probs in a sharded store.",
        config="lmforge.distill.extraction:ExtractConfig",
        aliases={"-p": "top_p", "-k": "top_k"},
        show="lmforge.distill.inspect_store:show_inspect",
    ),
    Verb(
        "inspect",
        "lmforge.distill.inspect_store:inspect",
        "Bytes per token, ratio to a dense fp32 row, kept-ids-per-token histogram of a store.",
        config="lmforge.distill.inspect_store:InspectConfig",
        args=("store",),
        show="lmforge.distill.inspect_store:show_inspect",
    ),
    Verb(
        "train",
        "lmforge.distill.trainer:train",
        "Train a student on a store with (1 - alpha) LM + alpha KD; held-out perplexity.",
        config="lmforge.distill.trainer:TrainConfig",
    ),
    Verb(
        "experiment",
        "lmforge.distill.experiments:experiment",
        "Teacher, store and a grid of LM-only and KD students; the paper-shaped table.",
        config="lmforge.distill.experiments:ExperimentConfig",
        show="lmforge.distill.experiments:show_experiment",
    ),
)

PROBES = {
    "extract": Probe(
        args=(
            "--input",
            "{input}",
            "--store",
            "{output}",
            "--teacher",
            "tiny:0",
            "-q",
            "--window",
            "8",
            "-k",
            "4",
        ),
        samples={"input": [{"text": "A student learns from the teacher's notes every day."}]},
        model=False,
    ),
    "experiment": Probe(
        args=(
            "--corpus",
            "{corpus}",
            "--out",
            "{out}",
            "-q",
            "--steps",
            "2",
            "--teacher-steps",
            "2",
        ),
        samples={"corpus": [{"text": "The lecture explains how plants turn light into sugar."}]},
        model=False,
        refusals_only="trains a teacher, extracts a store and trains a grid of students",
    ),
}
