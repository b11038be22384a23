"""``lmforge longreward``: the verb table (each verb is a library function and its config)."""

from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "score",
        "lmforge.longreward.scoring:score",
        "Score every response on helpfulness, logicality, faithfulness, completeness (0-10).",
        config="lmforge.longreward.scoring:ScoreConfig",
        aliases={
            "--judge": "model",
            "--tokenizer": "judging.tokenizer",
            "--retrieval": "judging.retrieval",
            "--official": "judging.official",
            "--attempts": "judging.attempts",
        },
        show="lmforge.longreward.scoring:show_score",
    ),
    Verb(
        "pairs",
        "lmforge.longreward.pairing:pairs",
        "One preference pair per query: chosen = first highest total, rejected = last lowest.",
        config="lmforge.longreward.pairing:PairsConfig",
    ),
    Verb(
        "dpo",
        "lmforge.training.dpo:dpo",
        "DPO on preference pairs (TRL DPOTrainer, precomputed reference log-probs); = train dpo.",
        config="lmforge.training.dpo:DPORecipe",
    ),
)

_CONTEXT = "The river town was founded in 1820 by millers. Its bridge was built in 1850."
_SCORED = {
    "id": "q1",
    "response_id": "q1-0",
    "query": "When was the bridge built?",
    "context": _CONTEXT,
    "response": "In 1850.",
    "scores": {"helpfulness": 8, "logicality": 9, "faithfulness": 10.0, "completeness": 7},
    "total": 8.5,
}
_PAIR = {
    "prompt": [{"role": "user", "content": "When was the bridge built?"}],
    "chosen": [{"role": "assistant", "content": "In 1850."}],
    "rejected": [{"role": "assistant", "content": "In 1920."}],
}

PROBES = {
    "score": Probe(
        args=(
            "--input", "{input}", "--judge", "scripted", "--tokenizer", "approx",
            "-q", "--output", "{output}", "--out", "{out}",
        ),
        samples={
            "input": [
                {
                    "id": "q1",
                    "context": _CONTEXT,
                    "query": "When was the bridge built?",
                    "responses": ["In 1850.", "In 1820."],
                }
            ]
        },
        output="--output",
    ),
    "pairs": Probe(
        args=("--input", "{input}", "--output", "{output}"),
        samples={"input": [_SCORED]},
        output="--output",
        model=False,
    ),
    "dpo": Probe(
        args=("--data", "{data}", "--model", "hf:embedded-tiny", "--output-dir", "dpo-out"),
        samples={"data": [_PAIR]},
        model=False,
        refusals_only="a valid run imports torch and TRL and trains a model (over 10 s); every bad"
        " --data row is refused before any heavy import",
    ),
}  # fmt: skip
