"""The encoder classifier: pooling around the trigger, class weights, train -> save -> predict."""

from __future__ import annotations

import json

import pytest

from lmforge.errors import InputError
from lmforge.mavenfact import (
    LABELS,
    EncoderClassifier,
    PredictConfig,
    TrainConfig,
    load_classifier,
    predict,
    train,
)
from lmforge.mavenfact.training import class_weights


def test_balanced_class_weights_follow_the_counts():
    labels = ["CT+"] * 8 + ["CT-"] * 2
    weights = class_weights(labels, "balanced")
    assert weights[:2] == pytest.approx([10 / 40, 10 / 10])
    assert weights[2:] == [1.0, 1.0, 1.0]  # absent classes keep weight 1
    assert class_weights(labels, "sqrt")[0] == pytest.approx(0.5)
    assert class_weights(labels, "none") == [1.0] * 5


def test_dm_pooling_takes_the_max_on_each_side_of_the_trigger(tiny_encoder):
    import torch

    model = EncoderClassifier(tiny_encoder, pooling="dm")
    batch = model.encode(["a b <e> c </e> d e", "<e> x </e>"])
    ids = batch["input_ids"]
    assert (ids == model.marker_ids[0]).sum() == 2  # each marker is one token
    states = model.encoder(**batch).last_hidden_state
    pooled = model.pooled(batch)
    hidden = states.shape[-1]
    row = ids[0].tolist()
    open_, close = row.index(model.marker_ids[0]), row.index(model.marker_ids[1])
    real = int(batch["attention_mask"][0].sum())
    assert torch.allclose(pooled[0, :hidden], states[0, : close + 1].max(0).values)
    assert torch.allclose(pooled[0, hidden:], states[0, open_:real].max(0).values)
    assert pooled.shape == (2, 2 * hidden)


def test_a_trigger_cut_off_by_max_length_still_pools(tiny_encoder):
    model = EncoderClassifier(tiny_encoder, max_length=8)
    long = " ".join(["word"] * 30) + " <e> late </e> ."
    assert model.predict([long, "<e> x </e>"], batch_size=2)[0] in LABELS


def test_train_save_load_predict(tiny_encoder, docs_file, tmp_path):
    out = tmp_path / "clf"
    cfg = TrainConfig(train=docs_file, valid=docs_file, out=out, encoder=f"hf:{tiny_encoder}",
                      epochs=2, batch_size=4, max_steps=5, seed=1)  # fmt: skip
    result = train(cfg, quiet=True)
    assert result["steps"] == 5 and 1 <= result["selected_epoch"] <= 2
    manifest = json.loads((out / "mavenfact_classifier.json").read_text())
    assert manifest["pooling"] == "dm" and manifest["labels"] == list(LABELS)
    assert [h["epoch"] for h in manifest["history"]] == [1, 2]
    texts = ["Talks may <e> resume </e> .", "It was <e> signed </e> ."]
    again = load_classifier(out)
    one_by_one = [again.predict([t], batch_size=1)[0] for t in texts]
    assert again.predict(texts, batch_size=2) == one_by_one
    pred = predict(PredictConfig(classifier=str(out), input=docs_file, output=tmp_path / "p.jsonl"),
                   out=tmp_path / "run", quiet=True)  # fmt: skip
    assert pred["mentions"] == 13 and 0 <= pred["macro_f1"] <= 1
    with pytest.raises(InputError, match="already holds a classifier"):
        train(cfg, quiet=True)


def test_seeded_training_is_repeatable(tiny_encoder, docs_file, tmp_path):
    def run(name):
        cfg = TrainConfig(train=docs_file, out=tmp_path / name, encoder=f"hf:{tiny_encoder}",
                          epochs=1, batch_size=4, max_steps=2, seed=3)  # fmt: skip
        train(cfg, quiet=True)
        return json.loads((tmp_path / name / "mavenfact_classifier.json").read_text())["history"]

    assert run("a")[0]["loss"] == run("b")[0]["loss"]


def test_a_folder_that_is_no_classifier_is_refused(tmp_path, docs_file):
    with pytest.raises(InputError, match="not a classifier folder"):
        predict(PredictConfig(classifier=str(tmp_path), input=docs_file), quiet=True)
    with pytest.raises(InputError, match="no config.json"):
        train(TrainConfig(train=docs_file, out=tmp_path / "x", encoder=f"hf:{tmp_path}"))


def test_the_official_best_test_selection_needs_a_test_file(docs_file, tmp_path):
    with pytest.raises(InputError, match="--select test needs --test"):
        train(TrainConfig(train=docs_file, out=tmp_path / "x", select="test"), quiet=True)
