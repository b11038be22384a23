"""Scoring the official example with a scripted judge: exact scores, pairs, call counts, cache."""

import json
import math

import pytest

from lmforge.llm.cache import CachedLLM, CallCache
from lmforge.llm.scripted import ScriptedLLM
from lmforge.longreward import JudgeOptions, PairsConfig, ScoreConfig, pairs, score
from lmforge.longreward.judge import Tally, faithfulness
from lmforge.text import count_tokens
from longreward.longreward_script import make_judge, statements_of

# rating of each example response (file order of sampled_responses.jsonl: 11-7, 11-0, 11-8,
# 11-5, 11-2, 11-6, 11-9, 11-3, 11-1, 11-4): two share the top (9) and two the bottom (3)
RATINGS = {"11-7": 6, "11-0": 9, "11-8": 3, "11-5": 9, "11-2": 5, "11-6": 3, "11-9": 7,
           "11-3": 4, "11-1": 8, "11-4": 5}  # fmt: skip
APPROX = JudgeOptions(tokenizer="approx")


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _judge_for(example_input, **kw):
    by_text = {r["response"]: RATINGS[r["response_id"]] for r in _rows(example_input)}
    return make_judge(by_text, **kw)


def _score(example_input, tmp_path, judge, name="scored.jsonl", **kw):
    cfg = ScoreConfig(input=example_input, output=tmp_path / name, judging=APPROX, **kw)
    return score(cfg, out=tmp_path / f"run-{name}", quiet=True, llm=judge)


def test_example_scores_pairs_and_call_counts(example_input, tmp_path):
    judge = _judge_for(example_input)
    result = _score(example_input, tmp_path, judge)
    rows = _rows(tmp_path / "scored.jsonl")
    assert [r["response_id"] for r in rows] == list(RATINGS)
    for row in rows:
        v = RATINGS[row["response_id"]]
        assert row["id"] == 11 and set(row) >= {"query", "context", "response"}
        assert row["scores"] == {
            "helpfulness": v, "logicality": v, "faithfulness": 10.0, "completeness": v
        }  # fmt: skip
        assert row["total"] == pytest.approx((3 * v + 10) / 4)
        assert row["total_sum"] == pytest.approx(3 * v + 10)
        assert [f["statement"] for f in row["details"]["facts"]] == statements_of(row["response"])
    # the 41k-character context is cut in 4,096-token chunks, asked once for all responses
    n_chunks = math.ceil(count_tokens(rows[0]["context"]) / 4096)
    assert rows[0]["details"]["n_info_chunks"] == n_chunks == 2
    # per response: helpfulness, logicality, facts, 2 supports, completeness = 6; + 2 shared
    assert result["judge_calls"] == len(judge.calls) == 10 * 6 + 2
    assert result["parse_failure_rate"] == 0 and result["scored"] == 10

    got = pairs(PairsConfig(input=tmp_path / "scored.jsonl", output=tmp_path / "pairs.jsonl"))
    assert got["pairs"] == 1
    (pair,) = _rows(tmp_path / "pairs.jsonl")
    # ties: chosen = first highest (11-0 before 11-5), rejected = last lowest (11-6 after 11-8)
    assert (pair["_meta"]["chosen_id"], pair["_meta"]["rejected_id"]) == ("11-0", "11-6")
    texts = {r["response_id"]: r["response"] for r in rows}
    assert pair["chosen"] == [{"role": "assistant", "content": texts["11-0"]}]
    assert pair["rejected"] == [{"role": "assistant", "content": texts["11-6"]}]
    assert pair["prompt"][0]["content"] == rows[0]["context"] + "\n\n" + rows[0]["query"]
    margin = pairs(
        PairsConfig(input=tmp_path / "scored.jsonl", output=tmp_path / "p2.jsonl", min_margin=5)
    )
    assert margin["pairs"] == 0 and margin["skipped_margin"] == 1


def test_rescoring_the_same_file_makes_no_model_call(example_input, tmp_path):
    inner = _judge_for(example_input)
    cache = CallCache(tmp_path / "calls.sqlite")
    first = _score(example_input, tmp_path, CachedLLM(inner, cache), name="a.jsonl")
    made = len(inner.calls)
    # responses that open with the same sentence share that statement's support call
    assert 0 < made <= first["judge_calls"]
    second = _score(example_input, tmp_path, CachedLLM(inner, cache), name="b.jsonl")
    assert len(inner.calls) == made  # every prompt and sampling config was the same
    assert second["judge_calls"] == first["judge_calls"]
    strip = [{k: v for k, v in r.items() if k != "_meta"} for r in _rows(tmp_path / "a.jsonl")]
    assert strip == [
        {k: v for k, v in r.items() if k != "_meta"} for r in _rows(tmp_path / "b.jsonl")
    ]


def test_without_sharing_every_response_extracts_the_chunks_again(example_input, tmp_path):
    judge = _judge_for(example_input)
    result = _score(example_input, tmp_path, judge, share_info=False)
    assert result["judge_calls"] == 10 * (6 + 2)


def test_a_dimension_that_never_parses_leaves_the_response_unscored(example_input, tmp_path):
    base = _judge_for(example_input)
    target = _rows(example_input)[1]["response"]  # 11-0

    def reply(messages, config):
        text = messages[-1].text
        if "Judge how helpful" in text and target in text:
            return "A fine answer, I would say."  # no rating, ever
        return base._responder(messages, config)

    judge = ScriptedLLM(reply)
    result = _score(example_input, tmp_path, judge)
    assert result["scored"] == 9 and result["unscored"] == 1
    hopeless = [c for c in judge.calls if "Judge how helpful" in c.prompt and target in c.prompt]
    assert [c.config.temperature for c in hopeless] == [0.01, 0.95, 0.95, 0.95, 0.95]
    assert result["rejected_replies"] == 5
    assert result["parse_failure_rate"] == pytest.approx(5 / result["judge_calls"])
    summary = json.loads((tmp_path / "run-scored.jsonl" / "summary.json").read_text())
    assert any("helpfulness: no rating found" in k for k in json.dumps(summary).split('"'))
    ids = {r["response_id"] for r in _rows(tmp_path / "scored.jsonl")}
    assert "11-0" not in ids  # the chosen pair changes: 11-5 is now the first highest
    got = pairs(PairsConfig(input=tmp_path / "scored.jsonl", output=tmp_path / "p.jsonl"))
    assert got["pairs"] == 1
    assert _rows(tmp_path / "p.jsonl")[0]["_meta"]["chosen_id"] == "11-5"


async def test_faithfulness_is_ten_times_the_mean_support():
    verdicts = {"A": "Fully supported", "B": "Partially supported", "C": "No support",
                "D": "Fully supported"}  # fmt: skip
    judge = make_judge({}, support=lambda s: verdicts[s[0]])
    context = " ".join(f"w{i}" for i in range(2000))
    got = await faithfulness(
        judge,
        "q?",
        "A one\nB two\nC three\nD four",
        context,
        None,
        JudgeOptions(tokenizer="approx"),
        Tally(),
    )
    assert [f["support"] for f in got["facts"]] == ["fully", "partially"]  # first 2 lines
    assert got["score"] == pytest.approx(10 * (1 + 0.5) / 2)
    assert all(f["evidence"] == sorted(f["evidence"]) and len(f["evidence"]) == 5
               for f in got["facts"])  # fmt: skip


def test_a_model_error_is_an_error_row_and_the_rerun_scores_only_that_response(
    example_input, tmp_path
):
    from lmforge.errors import ServerError

    good = _judge_for(example_input)
    target = _rows(example_input)[2]["response"]  # 11-8

    def flaky(messages, config):
        if "Judge how helpful" in messages[-1].text and target in messages[-1].text:
            return ServerError("judge down")
        return good._responder(messages, config)

    first = _score(example_input, tmp_path, ScriptedLLM(flaky))
    assert first["scored"] == 9
    summary = json.loads((tmp_path / "run-scored.jsonl" / "summary.json").read_text())
    assert summary["failed"] == 1
    again = _judge_for(example_input)
    second = _score(example_input, tmp_path, again)  # the same run folder: a resume
    assert second["scored"] == 10
    assert len(again.calls) == 6  # that response's six calls; the chunk information is kept
    ids = [r["response_id"] for r in _rows(tmp_path / "scored.jsonl")]
    assert ids == list(RATINGS)


def test_official_mode_asks_for_free_text_and_refuses_json(example_input, tmp_path):
    judge = _judge_for(example_input)  # it answers logicality in JSON, the rest officially
    cfg = ScoreConfig(
        input=example_input,
        output=tmp_path / "o.jsonl",
        judging=JudgeOptions(tokenizer="approx", official=True, attempts=2),
        limit=1,
    )
    result = score(cfg, out=tmp_path / "run", quiet=True, llm=judge)
    assert result["scored"] == 0 and result["unscored"] == 10
    assert all(c.config.json_schema is None for c in judge.calls)
    assert not any("JSON" in c.prompt for c in judge.calls)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert set(summary["drops"]) == {"logicality: no rating found"}
    default = _judge_for(example_input)
    score(ScoreConfig(input=example_input, judging=APPROX), out=tmp_path / "r2", quiet=True,
          llm=default)  # fmt: skip
    assert all(c.config.json_schema for c in default.calls if "Judge how" in c.prompt)
