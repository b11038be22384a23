"""``lmforge mavenfact``: the verb table (each verb is a library function and its config)."""

from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "split",
        "lmforge.mavenfact.splits:split",
        "Split a document file into train/valid/test by document (seeded), written once.",
        config="lmforge.mavenfact.splits:SplitConfig",
    ),
    Verb(
        "stats",
        "lmforge.mavenfact.splits:stats",
        "Label counts and shares of a document or mention file.",
        config="lmforge.mavenfact.splits:StatsConfig",
    ),
    Verb(
        "evaluate",
        "lmforge.mavenfact.scoring:evaluate",
        "Score predictions: `macro_f1: 0.NNNN`, the per-class table and the confusion matrix.",
        config="lmforge.mavenfact.scoring:EvaluateConfig",
    ),
    Verb(
        "predict",
        "lmforge.mavenfact.prediction:predict",
        "Label every mention with an encoder folder, llm:SPEC, or a baseline (majority, cues).",
        config="lmforge.mavenfact.prediction:PredictConfig",
        show="lmforge.mavenfact.prediction:show_predict",
    ),
    Verb(
        "train",
        "lmforge.mavenfact.training:train",
        "Fine-tune an encoder classifier (trigger pooling, 5-way head, class weights).",
        config="lmforge.mavenfact.training:TrainConfig",
    ),
)

_DOC = {
    "id": "d1",
    "tokens": [["Officials", "did", "not", "confirm", "the", "deal", "."]],
    "events": [
        {
            "id": "E1",
            "mention": [
                {"id": "d1-E1", "trigger_word": "confirm", "sent_id": 0, "offset": [3, 4],
                 "factuality": "CT-"},
            ],
        }
    ],
}  # fmt: skip
_MENTION = {"mention_id": "d1-E1", "text": "Officials did not <e> confirm </e> the deal .",
            "label": "CT-"}  # fmt: skip

PROBES = {
    "split": Probe(
        args=("--data", "{data}", "--dir", "{out}"), samples={"data": [_DOC]}, model=False
    ),  # fmt: skip
    "stats": Probe(args=("--data", "{data}"), samples={"data": [_MENTION]}, model=False),
    "evaluate": Probe(
        args=("--predictions", "{predictions}", "--gold", "{gold}"),
        samples={
            "predictions": [{"mention_id": "d1-E1", "label": "CT-"}],
            "gold": [{"mention_id": "d1-E1", "label": "CT-"}],
        },
        model=False,
        accepts=("predictions-drop-label", "predictions-null-label", "predictions-list-label"),
    ),
    "predict": Probe(
        args=(
            "--classifier",
            "majority",
            "--input",
            "{input}",
            "--output",
            "{output}",
            "-q",
            "--out",
            "{out}",
        ),
        samples={"input": [_MENTION]},
        output="--output",
        model=False,
    ),  # fmt: skip
    "train": Probe(
        args=("--train", "{train}", "--valid", "{valid}", "--out", "{out}"),
        samples={"train": [_MENTION], "valid": [_MENTION]},
        model=False,
        refusals_only="fine-tuning an encoder takes minutes",
    ),
}
