"""``lmforge longcite``: the verb table (each verb is a library function and its config)."""

from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "split",
        "lmforge.longcite.commands:split",
        "Number a text's sentences as LongCite does (<C0>, <C1>, ...); ends with `sentences: N`.",
        config="lmforge.longcite.commands:SplitCommand",
        args=("text_file",),
    ),
    Verb(
        "answer",
        "lmforge.longcite.answer:answer",
        "Answer QUESTION about --context with sentence-level citations, each resolved to its text.",
        config="lmforge.longcite.answer:AnswerCommand",
        args=("question",),
    ),
    Verb(
        "cof",
        "lmforge.longcite.cof:run_cof",
        "CoF: cited SFT rows (TRL messages, LongCite-45k style) from documents, four stages.",
        config="lmforge.longcite.cof:CofConfig",
        aliases={"-r": "retriever"},
    ),
    Verb(
        "bench",
        "lmforge.longcite.commands:bench",
        "LongBench-Cite: citation recall/precision/F1 and correctness (--predictions or --model).",
        config="lmforge.longcite.longbench_cite:LongBenchCiteConfig",
    ),
)

_INSTANCE = {
    "idx": 0,
    "dataset": "hotpotqa",
    "query": "Where is the bridge?",
    "answer": ["Sydney"],
    "few_shot_scores": [],
    "context": "The bridge opened in 1932. It is in Sydney.",
}
# with --data, a prediction needs only idx and prediction (the rest is joined by idx)
_PREDICTION = {"idx": 0, "prediction": "<statement>It is in Sydney.<cite>[1-1]</cite></statement>"}

_DOCUMENT = "The bridge opened in 1932.\nIt is in Sydney. It carries trains and cars.\n"

PROBES = {
    "split": Probe(args=("{text_file}",), samples={"text_file": _DOCUMENT}, model=False),
    "answer": Probe(
        args=("--context", "{context}", "--model", "scripted", "Where is the bridge?"),
        samples={"context": _DOCUMENT},
    ),
    "cof": Probe(
        args=("--input", "{input}", "--model", "scripted", "-q", "--output", "{output}"),
        samples={"input": [{"context": "The bridge opened in 1932. It is in Sydney."}]},
        output="--output",
    ),
    "bench": Probe(
        args=(
            "--predictions",
            "{predictions}",
            "--data",
            "{data}",
            "--judge",
            "scripted",
            "-q",
            "--out",
            "{out}",
        ),  # fmt: skip
        samples={"predictions": [_PREDICTION], "data": [_INSTANCE]},
    ),
}
