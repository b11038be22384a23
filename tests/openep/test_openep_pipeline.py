"""StkFEP and the baselines with a scripted model: the date cut-off in every prompt, the
stakeholder filters, the 150-day gap, the output format, drops and failure counts."""

from __future__ import annotations

import json

import pytest

from lmforge.llm.scripted import ScriptedLLM
from lmforge.openep import PredictConfig, choose_k, cluster_snippets, predict
from lmforge.openep.replies import prediction_reader, queries_reader, stakeholders_reader

FAST = {"retrieval": "bm25", "embeddings": "tfidf"}


def _corpus(path):
    news = [
        ("2024-06-28", "Riverside campaign", "other1",
         "The Green party held a rally in Riverside. Polls show a close election result."),
        ("2024-06-30", "Riverside party leader", "other2",
         "The Labour party leader spoke about seats in the election."),
        ("2024-07-02", "FUTURE result", "other3",
         "FUTURE-MARKER the Green party won the Riverside election seats."),
        ("2024-07-16", "FUTURE own", "riverside",
         "FUTURE-MARKER outcome of the election with party seats."),
        ("2023-11-01", "Lakeside landslide", "old1",
         "An opposition party won a landslide election in Lakeside."),
        ("2024-05-01", "Recent opposition win", "old2",
         "RECENT-MARKER an opposition party wins election in Hillside."),
    ]  # fmt: skip
    rows = [{"date": d, "title": t, "topic_id": i, "text": x} for d, t, i, x in news]
    path.write_text("".join(json.dumps(n) + "\n" for n in rows), encoding="utf-8")
    return path


def _questions(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_stkfep_never_shows_the_future_and_fills_every_step(tmp_path, fake_llm, make_question):
    time_q = make_question(2, question_type="time", question="When will Riverside count the votes?")
    questions = _questions(tmp_path / "q.jsonl", [make_question(1), time_q])
    cfg = PredictConfig(
        input=questions, output=tmp_path / "p.jsonl", corpus=_corpus(tmp_path / "news.jsonl"),
        settings=FAST,
    )  # fmt: skip
    result = predict(cfg, out=tmp_path / "run", quiet=True, llm=fake_llm)
    assert result["predicted"] == 2 and result["dropped"] == 0
    prompts = [m.text for call in fake_llm.calls for m in call.messages]
    assert not any("FUTURE-MARKER" in p for p in prompts)
    assert any("Riverside campaign" in p for p in prompts)  # past news did reach the model
    similar = [c.prompt for c in fake_llm.calls if "How similar is the past event" in c.prompt]
    assert similar and all("RECENT-MARKER" not in p for p in similar)  # < 150 days: not history
    assert any("Lakeside" in p for p in similar)
    rows = _rows(tmp_path / "p.jsonl")
    assert [r["id"] for r in rows] == [1, 2]
    assert set(rows[0]) >= {"id", "question", "date_question", "question_type", "predictions"}
    assert json.loads(rows[0]["predictions"])["answer"] == ["The party wins a majority."]
    periods = json.loads(rows[1]["predictions"])
    assert sum(periods[f"period_{i}"] for i in range(1, 5)) == pytest.approx(1.0)
    assert periods["answer"] == "period_1"
    (integrate,) = (tmp_path / "run").glob("integrate-*/records.jsonl")
    record = _rows(integrate)[0]
    assert record["stakeholders"] == ["Labour Party"]  # "event" is a stop-word; long names go
    assert record["roles"] == ["opposition party", "voters"]
    assert record["openep_counts"]["snippets_not_verbatim_relevant"] == 1  # the invented one
    assert record["nodes_relevant"] and record["nodes_similar"]


def test_a_prediction_that_never_parses_is_dropped_and_counted(tmp_path, make_question):
    llm = ScriptedLLM(["not json"], cycle=True)
    questions = _questions(tmp_path / "q.jsonl", [make_question(1)])
    cfg = PredictConfig(input=questions, output=tmp_path / "p.jsonl", method="direct")
    result = predict(cfg, out=tmp_path / "run", quiet=True, llm=llm)
    assert result["predicted"] == 0 and result["dropped"] == 1
    assert len(llm.calls) == 3  # asked, then re-asked twice
    (dropped,) = (tmp_path / "run").glob("*/records.dropped.jsonl")
    assert "no usable prediction" in dropped.read_text()


def test_rag_sees_retrieved_news_and_direct_sees_none(tmp_path, fake_llm, make_question):
    questions = _questions(tmp_path / "q.jsonl", [make_question(1)])
    corpus = _corpus(tmp_path / "news.jsonl")
    for method in ("rag", "direct"):
        fake_llm.calls.clear()
        cfg = PredictConfig(
            input=questions, output=tmp_path / f"{method}.jsonl", method=method, corpus=corpus,
            settings=FAST,
        )  # fmt: skip
        assert predict(cfg, out=tmp_path / method, quiet=True, llm=fake_llm)["predicted"] == 1
        (call,) = fake_llm.calls
        assert ("Riverside campaign" in call.prompt) == (method == "rag")
        assert "FUTURE-MARKER" not in call.prompt


def test_official_free_text_formats_and_filters():
    read = stakeholders_reader(official=True)
    got = read(
        "Keir Starmer#Labour Party#影响#a stakeholder name far too long@@voters#ruling party"
    )
    assert got == {
        "stakeholders": ["Keir Starmer", "Labour Party"],
        "roles": ["voters", "ruling party"],
    }
    assert queries_reader(True, 2)("q one # q two # q three") == ["q one", "q two"]
    with pytest.raises(ValueError):
        read("no separator here")


def test_time_probabilities_are_renormalised_and_the_answer_is_the_argmax():
    reply = json.dumps({"analysis": "", "period_1": 0.2, "period_2": 0.2, "period_3": 0.4,
                        "period_4": 0.4, "answer": "period_4"})  # fmt: skip
    got = prediction_reader(time=True)(reply)
    assert sum(got[f"period_{i}"] for i in range(1, 5)) == pytest.approx(1.0)
    assert got["period_3"] == pytest.approx(0.4 / 1.2) and got["answer"] == "period_3"
    assert got["answer_given"] == "period_4"
    with pytest.raises(ValueError):
        prediction_reader(time=True)(
            json.dumps({"analysis": "", **{f"period_{i}": 0 for i in range(1, 5)}})
        )


def test_clustering_floors_k_at_six_and_runs_only_above_six_snippets():
    few = [f"snippet {i}" for i in range(6)]
    assert cluster_snippets(few, embeddings="tfidf") == [[s] for s in few]
    many = [f"passage about topic {i % 3} number {i}" for i in range(12)]
    groups = cluster_snippets(many, embeddings="tfidf")
    assert len(groups) == 6 and sorted(s for g in groups for s in g) == sorted(many)
    import numpy as np

    tight = np.random.default_rng(0).normal(0, 0.01, size=(10, 2))
    assert choose_k(tight) == 6  # BIC prefers one cluster; the floor holds
    assert choose_k(np.eye(8)) >= 6


def test_snippet_extraction_keeps_verbatim_copies_that_the_echo_guard_would_refuse():
    import asyncio

    from lmforge.openep.settings import PredictSettings
    from lmforge.openep.steps import Step
    from lmforge.openep.stkfep import perspectives

    article = {"date": "2024-06-30", "title": "T", "text": "Alpha beta gamma delta. " * 40}

    def respond(messages, config):
        return json.dumps({"snippets": [article["text"].strip()]})  # the whole text, copied

    llm = ScriptedLLM(respond)
    record = {"question": "What next?", "diversity_queries": []}
    step = Step(llm, PredictSettings(embeddings="tfidf"), record)
    nodes = asyncio.run(perspectives(record, step, step.settings, "relevant", [article], 2000))
    assert nodes == [article["text"].strip()] and not step.failed


def test_a_rag_forecast_may_quote_its_news_but_not_repeat_the_instructions(tmp_path, make_question):
    questions = _questions(tmp_path / "q.jsonl", [make_question(1)])
    corpus = _corpus(tmp_path / "news.jsonl")
    quote = "The Green party held a rally in Riverside. Polls show a close election result."
    instructions = (
        "take one consistent position (do not predict both a rise and a fall); be specific and "
        "ground every claim in the background and the news; do not invent facts."
    )
    for answer, kept in ((quote, 1), (instructions, 0)):
        reply = json.dumps({"analysis": answer, "answer": [answer]})
        llm = ScriptedLLM([reply], cycle=True)
        out = tmp_path / f"rag-{kept}"
        cfg = PredictConfig(
            input=questions, output=out / "p.jsonl", method="rag", corpus=corpus, settings=FAST
        )
        assert predict(cfg, out=out, quiet=True, llm=llm)["predicted"] == kept
