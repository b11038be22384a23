"""``lmforge openep``: the verb table (each verb is a library function and its config)."""

from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "predict",
        "lmforge.openep.predict_run:predict",
        "Predict outcomes of OpenEPBench questions (stkfep, rag or direct) over dated news.",
        config="lmforge.openep.predict_run:PredictConfig",
        aliases={
            "--max-tokens": "settings.generation.max_tokens",
            "--temperature": "settings.generation.temperature",
            "--seed": "settings.generation.seed",
            "--retrieval": "settings.retrieval",
            "--similar-gap-days": "settings.similar_gap_days",
        },
    ),
    Verb(
        "evaluate",
        "lmforge.openep.evaluate_run:evaluate",
        "Judge predictions: five dimensions, time_accuracy, overall, and a per-type table.",
        config="lmforge.openep.evaluate_run:EvaluateConfig",
    ),
    Verb(
        "corpus",
        "lmforge.openep.corpus_build:corpus",
        "Build a dated news corpus from OpenEPBench outcomes (dated at the 15-day horizon).",
        config="lmforge.openep.corpus_build:CorpusConfig",
        aliases={"--from": "source"},
    ),
)

_QUESTION = {
    "id": 1,
    "question": "Who will win the by-election in Riverside?",
    "question_type": "event outcome",
    "date_question": "2024-07-01",
    "hot_topic": {"topic": "Riverside by-election", "ori_background": "A seat fell vacant."},
    "answer": ["The Green candidate won the Riverside seat on 2024-07-05."],
}

PROBES = {
    "predict": Probe(
        args=(
            "--input",
            "{input}",
            "--model",
            "scripted",
            "--method",
            "direct",
            "-q",
            "--output",
            "{output}",
        ),
        samples={"input": [{k: v for k, v in _QUESTION.items() if k != "answer"}]},
        output="--output",
    ),
    "evaluate": Probe(
        args=("--predictions", "{predictions}", "--gold", "{gold}", "--judge", "scripted", "-q"),
        samples={
            "predictions": [{"id": 1, "predictions": '{"analysis": "", "answer": ["Green"]}'}],
            "gold": [_QUESTION],
        },
    ),
    "corpus": Probe(
        args=("--from", "{source}", "--output", "{output}"),
        samples={"source": [_QUESTION]},
        output="--output",
        model=False,
    ),
}
