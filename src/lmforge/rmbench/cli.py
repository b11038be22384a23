"""``lmforge rmbench``: the verb table (each verb is a library function and its config)."""

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
