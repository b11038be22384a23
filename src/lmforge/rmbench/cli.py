"""``lmforge rmbench``: the verb table (each verb is a library function and its config)."""

from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "run",
        "lmforge.rmbench.run:run",
        "Score every sample, then print `DOMAIN: easy= normal= hard= avg=` lines and `overall:`.",
        config="lmforge.rmbench.run:RMBenchConfig",
        aliases={
            "-s": "scorer",
            "--batch-size": "scoring.batch_size",
            "--max-length": "scoring.max_length",
            "--ref-free": "scoring.ref_free",
            "--judge-max-tokens": "scoring.judge_max_tokens",
            "--seed": "scoring.seed",
        },
        show="lmforge.rmbench.commands:show_run",
    ),
    Verb(
        "score",
        "lmforge.rmbench.commands:score",
        "Recompute the table from score_chosen/score_rejected (no model needed).",
        config="lmforge.rmbench.commands:ScoreCommand",
    ),
    Verb("scorers", "lmforge.rmbench.commands:scorers", "List the scorer specs."),
)

_SAMPLE = {
    "id": 1,
    "domain": "chat",
    "prompt": "What is two plus two?",
    "chosen": ["4.", "Two plus two is four.", "**4**."],
    "rejected": ["5.", "Two plus two is five.", "**5**."],
}

PROBES = {
    "run": Probe(
        args=("-s", "length", "--data", "{data}", "--no-report", "-q", "--out", "{out}"),
        samples={"data": [_SAMPLE, {**_SAMPLE, "id": 2}]},
        model=False,
    ),
    "score": Probe(
        args=("--scores", "{scores}", "--domain", "code"),
        samples={"scores": [{"score_chosen": [1, 2, 3], "score_rejected": [3, 2, 1]}]},
        model=False,
    ),
}
