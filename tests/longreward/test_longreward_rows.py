"""The input gate of `score` and the pair builder's rules, without a model."""

import json

import pytest

from helpers import lmforge_cli, write_jsonl
from lmforge.errors import InputError
from lmforge.longreward import ScoredRow, build_pairs, load_queries

CTX, Q = "A context.", "A query?"


def test_both_input_forms_give_one_record_per_query(tmp_path):
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": 7, "context": CTX, "query": Q, "responses": ["a", "b"]},
            {"id": "x", "context": CTX, "query": Q, "response": "c", "response_id": "x-a"},
            {"id": "x", "context": CTX, "query": Q, "response": "d", "response_id": 2},
        ],
    )
    got = load_queries(path)
    assert [q["id"] for q in got] == [7, "x"]
    assert got[0]["responses"] == [
        {"response_id": "7-0", "response": "a"},
        {"response_id": "7-1", "response": "b"},
    ]
    assert [r["response_id"] for r in got[1]["responses"]] == ["x-a", 2]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": 1, "context": CTX, "query": Q}], "either responses"),
        ([{"id": 1, "context": CTX, "query": Q, "response": "a"}], "needs response_id"),
        ([{"id": 1, "context": CTX, "query": Q, "responses": []}], "at least 1"),
        (
            [
                {"id": 1, "context": CTX, "query": Q, "response": "a", "response_id": "r"},
                {"id": 1, "context": CTX, "query": Q, "response": "b", "response_id": "r"},
            ],
            r"in.jsonl:2: response_id 'r' given twice",
        ),
        (
            [
                {"id": 1, "context": CTX, "query": Q, "response": "a", "response_id": "r"},
                {"id": 1, "context": "other", "query": Q, "response": "b", "response_id": "s"},
            ],
            "differs from line 1",
        ),
    ],
)
def test_bad_rows_are_one_error_with_file_and_line(tmp_path, rows, message):
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    with pytest.raises(InputError, match=message):
        load_queries(path)


def _scored(qid, rid, total):
    scores = {"helpfulness": total, "logicality": total, "faithfulness": total,
              "completeness": total}  # fmt: skip
    return ScoredRow(id=qid, response_id=rid, query=Q, context=CTX, response=f"r{rid}",
                     scores=scores, total=total)  # fmt: skip


def test_pairs_need_five_responses_and_break_ties_by_file_order():
    rows = [_scored("a", i, t) for i, t in enumerate([5, 8, 2, 8, 2])]
    rows += [_scored("b", i, 4) for i in range(4)]  # too few
    rows += [_scored("c", i, 6) for i in range(5)]  # all equal: the official code pairs them
    pairs, skipped = build_pairs(rows)
    assert [(p["id"], p["_meta"]["chosen_id"], p["_meta"]["rejected_id"]) for p in pairs] == [
        ("a", 1, 4),
        ("c", 0, 4),
    ]
    assert skipped == {"too_few_responses": 1, "below_margin": 0}
    pairs, skipped = build_pairs(rows, min_margin=0.5)
    assert [p["id"] for p in pairs] == ["a"] and skipped["below_margin"] == 1


def test_cli_score_counts_an_unparsable_judge_and_pairs_reads_the_format(tmp_path):
    data = write_jsonl(tmp_path / "in.jsonl", [{"id": "q", "context": CTX, "query": Q,
                                                "responses": ["a", "b"]}])  # fmt: skip
    result = lmforge_cli(
        "longreward", "score", "-i", data, "-o", tmp_path / "s.jsonl", "--judge", "scripted",
        "--tokenizer", "approx", "--attempts", "2", "--out", tmp_path / "run", "-q",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    # the scripted backend answers "OK": taken as the chunk's information (free text, as
    # officially), then no rating, verdict or statement parses: nothing scored or made up
    assert figures["scored"] == "0" and figures["unscored"] == "2"
    # 1 chunk call; per response helpfulness, logicality and facts, 2 rejected attempts each
    assert figures["judge_calls"] == str(1 + 2 * 3 * 2)
    assert figures["rejected_replies"] == str(2 * 3 * 2)
    rows = [_scored("q", i, t).model_dump() for i, t in enumerate([1, 2, 3, 4, 5])]
    scored = write_jsonl(tmp_path / "scored.jsonl", rows)
    result = lmforge_cli("longreward", "pairs", "-i", scored, "-o", tmp_path / "p.jsonl")
    assert result.returncode == 0, result.stderr
    assert "pairs: 1" in result.stdout
    (pair,) = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert pair["chosen"][0]["content"] == "r4" and pair["rejected"][0]["content"] == "r0"
