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
        "evidence",
        "lmforge.mavenfact.evidence_run:evidence",
        "Tag the cue words of CT-/PS+/PS- mentions (cues, a tagger folder, llm:SPEC); score spans.",
        config="lmforge.mavenfact.evidence_run:EvidenceConfig",
    ),
    Verb(
        "train-evidence",
        "lmforge.mavenfact.evidence_training:train_evidence",
        "Fine-tune a B/I/O evidence tagger on documents with evidence words.",
        config="lmforge.mavenfact.evidence_training:TrainEvidenceConfig",
    ),
    Verb(
        "annotate",
        "lmforge.mavenfact.annotation:annotate",
        "Mark the events of a text file and label their factuality (spot unasserted events).",
        config="lmforge.mavenfact.annotation:AnnotateConfig",
        args=("text_file",),
        show="lmforge.mavenfact.annotation:show_annotate",
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
_EVIDENCE_DOC = {
    **_DOC,
    "events": [
        {
            "id": "E1",
            "mention": [
                {**_DOC["events"][0]["mention"][0], "evidence_word": ["did", "not"],
                 "evidence_offset": [[0, 1], [0, 2]]},
            ],
        }
    ],
}  # fmt: skip
_MENTION = {"mention_id": "d1-E1", "text": "Officials did not <e> confirm </e> the deal .",
            "label": "CT-"}  # fmt: skip
_PREDICT_ARGS = ("--classifier", "majority", "--input", "{input}", "--output", "{output}", "-q",
                 "--out", "{out}")  # fmt: skip
_EVIDENCE_ARGS = ("--input", "{input}", "--labels", "{labels}", "--output", "{output}", "-q",
                  "--out", "{out}")  # fmt: skip

PROBES = {
    "annotate": Probe(
        args=("{text_file}", "-q", "--out", "{out}"),
        samples={"text_file": "The minister said the bridge might reopen in May. It did not.\n"},
        model=False,
    ),
    "split": Probe(
        args=("--data", "{data}", "--dir", "{out}"), samples={"data": [_DOC]}, model=False
    ),  # fmt: skip
    "stats": Probe(
        args=("--data", "{data}"),
        samples={"data": [_MENTION]},
        model=False,
        accepts=("data-drop-label", "data-null-label"),  # statistics of unlabelled data
    ),
    "evaluate": Probe(
        args=("--predictions", "{predictions}", "--gold", "{gold}"),
        samples={"predictions": [_MENTION], "gold": [_MENTION]},
        model=False,
        # a missing or bad predicted label is scored as wrong, and text is not read
        accepts=tuple(
            f"{f}-{case}-{field}"
            for f, field in (("predictions", "label"), ("predictions", "text"), ("gold", "text"))
            for case in ("drop", "null", "list")
        ),
    ),
    "predict": Probe(
        args=_PREDICT_ARGS,
        samples={"input": [_MENTION]},
        output="--output",
        model=False,
        accepts=("input-drop-label", "input-null-label"),  # predicting needs no gold label
    ),  # fmt: skip
    "evidence": Probe(
        args=_EVIDENCE_ARGS,
        samples={
            "input": [_EVIDENCE_DOC],
            "labels": [{"id": "d1-E1", "label": "CT-", "text": _MENTION["text"]}],
        },
        output="--output",
        model=False,
        # the predicted label is read, a prediction row's text is not
        accepts=("labels-drop-text", "labels-null-text", "labels-list-text"),
    ),
    "train-evidence": Probe(
        args=("--train", "{train}", "--out", "{out}"),
        samples={"train": [_EVIDENCE_DOC]},
        model=False,
        refusals_only="fine-tuning an encoder takes minutes",
    ),
    "train": Probe(
        args=("--train", "{train}", "--valid", "{valid}", "--out", "{out}"),
        samples={"train": [_MENTION], "valid": [_MENTION]},
        model=False,
        refusals_only="fine-tuning an encoder takes minutes",
    ),
}
