"""LecEval: loading, proxies, BLEU/ROUGE, the rubric judge's parsing, the Spearman table."""

from __future__ import annotations

import math

import pytest

from helpers import write_jsonl
from lmforge.classroom.leceval import (
    PAPER_BASELINES,
    RUBRICS,
    LecRow,
    evaluate_leceval,
    format_leceval,
    load_leceval,
    proxy_scores,
    sample_rows,
    spearman_table,
)
from lmforge.classroom.leceval.judge import judge_scorer, judge_scripts, parse_rubric_ratings
from lmforge.errors import InputError
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.parse import ParseFailure
from lmforge.text import count_words


def rate(*values: list[int]) -> dict:
    return dict(zip(RUBRICS, values, strict=True))


def lrow(i: int, human: float, transcript: str = "Hello class.", slide: str | None = None):
    return LecRow(f"r{i}", "c", transcript, dict.fromkeys(RUBRICS, human), slide_text=slide)


# --------------------------------------------------------------------------- loading


def write_rows(folder, name: str, rows: list) -> None:
    write_jsonl(folder / f"{name}_metadata.jsonl", rows)


def test_load_averages_annotators_and_unescapes(tmp_path) -> None:
    write_rows(
        tmp_path,
        "psy",
        [
            {
                "id": "psy_1_slide_000",
                "transcript": "First.&#10;&#10;Second.",
                "rate": rate([5, 4, 3], [4, 4, 4], [2, 3, 6], [1, 1, 2]),
            }
        ],
    )
    write_rows(tmp_path, "ml-1", [{"transcript": "x", "rate": rate([3], [3], [3], [3])}])
    rows = load_leceval(tmp_path)
    assert [r.course for r in rows] == ["ml-1", "psy"]
    psy = rows[1]
    assert psy.transcript == "First.\n\nSecond."
    assert psy.human["content_relevance"] == 4.0
    assert psy.human["logical_structure"] == pytest.approx(10 / 3)  # the 6 is clipped to 5
    assert psy.clipped == 1 and psy.ratings["logical_structure"] == [2.0, 3.0, 5.0]
    assert psy.human_overall == pytest.approx((4 + 4 + 10 / 3 + 4 / 3) / 4)
    assert rows[0].id == "ml-1:1" and rows[0].slide_text is None


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"rate": rate([3], [3], [3], [3])}, ":1: field 'transcript'"),
        ({"transcript": "x"}, ":1: field 'rate'"),
        ({"transcript": "x", "rate": {"content_relevance": [3]}}, "field 'rate.expressive_clar"),
        ({"transcript": "x", "rate": rate([], [3], [3], [3])}, "field 'rate.content_relevance'"),
        ({"transcript": "x", "rate": rate(["5"], [3], [3], [3])}, "numeric ratings"),
    ],
)
def test_load_errors_name_file_line_field(tmp_path, row, message) -> None:
    write_rows(tmp_path, "speaking", [row])
    with pytest.raises(InputError) as err:
        load_leceval(tmp_path)
    assert "speaking_metadata.jsonl" in str(err.value) and message in str(err.value)


def test_load_needs_files(tmp_path) -> None:
    with pytest.raises(InputError, match="metadata.jsonl"):
        load_leceval(tmp_path)


def test_sample_rows_spreads_over_the_list() -> None:
    rows = [lrow(i, 3) for i in range(10)]
    assert [r.id for r in sample_rows(rows, 3)] == ["r0", "r3", "r6"]
    assert sample_rows(rows, None) == rows and sample_rows(rows, 50) == rows
    with pytest.raises(ValueError):
        sample_rows(rows, 0)


# --------------------------------------------------------------------------- proxies


def test_proxy_scores() -> None:
    rows = [
        lrow(0, 3, "Let's start. Do you know what a gradient is? We will see."),
        lrow(1, 4, "Gradients point uphill.", slide="Gradient descent: gradients point uphill"),
    ]
    scores = proxy_scores(rows)
    assert scores["sentences"] == [3.0, 1.0]
    assert scores["words"][1] == 3.0 and scores["words_per_sentence"][1] == 3.0
    # let's, you, we (3 cues) + 1 question mark, per 100 words (count_words: "Let's" is 2)
    assert scores["engagement_cues"][0] == pytest.approx(4 / count_words(rows[0].transcript) * 100)
    assert scores["slide_overlap"] == [None, pytest.approx(3 / 5)]
    assert scores["bleu4_vs_slide"][0] is None and scores["bleu4_vs_slide"][1] > 0
    assert scores["rougeL_vs_slide"][1] == pytest.approx(2 * (1 * 0.6) / 1.6)


# --------------------------------------------------------------------------- table


def test_spearman_table_per_rubric_overall_and_unscored() -> None:
    rows = [
        LecRow(f"r{i}", "c", "t", dict(zip(RUBRICS, (i, i, 5 - i, 1 + (i % 2)), strict=True)))
        for i in range(1, 5)
    ]
    table = spearman_table(
        rows,
        {
            "length": [1.0, 2.0, 3.0, 4.0],
            "judge": [
                None,
                dict.fromkeys(RUBRICS, 2.0),
                dict.fromkeys(RUBRICS, 3.0),
                dict.fromkeys(RUBRICS, 5.0),
            ],  # fmt: skip
        },
    )
    length, judge = table
    assert length.rho["content_relevance"] == 1.0 and length.rho["logical_structure"] == -1.0
    expected_ae = length.rho["audience_engagement"]
    assert length.overall == pytest.approx((1 + 1 - 1 + expected_ae) / 4)
    assert length.n == 4 and length.unscored == 0
    assert judge.n == 3 and judge.unscored == 1 and judge.rho["expressive_clarity"] == 1.0
    with pytest.raises(ValueError, match="gave 1 scores for 4 rows"):
        spearman_table(rows, {"bad": [1.0]})


def test_too_few_scores_give_nan_and_format_says_not_computable() -> None:
    rows = [lrow(i, i) for i in range(3)]
    table = spearman_table(rows, {"one": [None, None, 2.0], "none": [None] * 3})
    assert math.isnan(table[0].overall)
    lines = format_leceval(table)
    assert any(line.startswith("none") and "not computable" in line for line in lines)
    assert any(line.startswith("BLEU-4 (paper)") and "0.13" in line for line in lines)
    assert any(line.startswith("LecEval model (paper)") and "0.77" in line for line in lines)
    assert PAPER_BASELINES["ROUGE-L (paper)"]["overall"] == 0.19


async def test_evaluate_with_sync_proxies_and_async_judge() -> None:
    rows = [lrow(i, 1 + i % 5, "word " * (i + 1)) for i in range(10)]
    table = await evaluate_leceval(rows, proxy_scores, limit=5)
    assert {r.name for r in table} >= {"words", "sentences"}
    assert next(r for r in table if r.name == "words").n == 5

    def answer(messages, config) -> str:
        n = messages[-1].content.count("word")
        return "\n".join(f"{label}: {min(5, 1 + n % 5)}" for label in (
            "Content Relevance", "Expressive Clarity", "Logical Structure",
            "Audience Engagement"))  # fmt: skip

    judge = ScriptedLLM(answer, name="scripted-judge")
    (row,) = await evaluate_leceval(rows, judge_scorer(judge), limit=4)
    assert row.name == "judge scripted-judge" and row.n == 4
    assert len(judge.calls) == 4


# --------------------------------------------------------------------------- judge


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Content Relevance: 4\nExpressive Clarity: 5\nLogical Structure: 3\n"
         "Audience Engagement: 2", (4, 5, 3, 2)),
        ("**Content Relevance**: 4/5\n**Expressive Clarity**: [[5]]\n"
         "- Logical Structure: 3 (clear order)\n- Audience Engagement - 2", (4, 5, 3, 2)),
        ("5, 4, 4, 2", (5, 4, 4, 2)),
        ("My ratings: 3 4 5 1", (3, 4, 5, 1)),
        ("3:5:4:5", (3, 5, 4, 5)),
        ("1. Faithfulness to the Slide: 4\n2. Clarity of Language: 4\n"
         "3. Structure and Organization: 5\n4. Inspirational Value: 3", (4, 4, 5, 3)),
        ("The structure - well organised.\nContent Relevance: 4\nExpressive Clarity: 5\n"
         "Logical Structure: 3\nAudience Engagement: 2", (4, 5, 3, 2)),
        ("relevance: 4.5\nclarity: 4\nstructure: 4\nengagement: 1", (4.5, 4, 4, 1)),
    ],
)  # fmt: skip
def test_parse_rubric_ratings_shapes(text: str, expected: tuple) -> None:
    got = parse_rubric_ratings(text)
    assert tuple(got[r] for r in RUBRICS) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Content Relevance: 4\nExpressive Clarity: 9\nLogical Structure: 3\n"
         "Audience Engagement: 2", "rating out of range"),
        ("Content Relevance: 4\nExpressive Clarity: 4", "missing rubric ratings"),
        ("I like this script a lot.", "no rubric ratings found"),
        ("Content Relevance: 4\nContent Relevance: 5\nExpressive Clarity: 4\n"
         "Logical Structure: 3\nAudience Engagement: 2", "ambiguous rating"),
        ("6, 4, 4, 2", "rating out of range"),
        ("4, 4, 4, 2\n3, 3, 3, 3", "no rubric ratings found"),
        ("", "no rubric ratings found"),
    ],
)  # fmt: skip
def test_parse_rubric_ratings_failures(text: str, reason: str) -> None:
    with pytest.raises(ParseFailure) as err:
        parse_rubric_ratings(text)
    assert err.value.reason == reason


async def test_judge_reasks_then_keeps_failures_unscored() -> None:
    rows = [lrow(0, 3, "Script zero."), lrow(1, 3, "Script one.", slide="Slide one text")]
    script = {
        ("Script zero.", 0): "I cannot rate this.",
        ("Script zero.", 1): "4, 4, 3, 2",
        ("Script one.", 0): "no idea",
        ("Script one.", 1): "still no idea",
    }

    def answer(messages, config) -> str:
        user = messages[-1].content
        key = "Script zero." if "Script zero." in user else "Script one."
        return script[(key, config.sample_index)]

    judge = ScriptedLLM(answer)
    judged = await judge_scripts(rows, judge, retries=1)
    assert judged[0].ratings == dict(zip(RUBRICS, (4.0, 4.0, 3.0, 2.0), strict=True))
    assert judged[0].attempts == 2 and judged[0].reasons == ["no rubric ratings found"]
    assert (
        judged[1].ratings is None and judged[1].attempts == 2 and judged[1].raw == "still no idea"
    )
    prompts = [c.prompt for c in judge.calls]
    assert any("Slide one text" in p for p in prompts)
    assert any("not available" in p and "Script zero." in p for p in prompts)


async def test_judge_model_error_is_unscored() -> None:
    judge = ScriptedLLM([RuntimeError("down")])
    (judged,) = await judge_scripts([lrow(0, 3)], judge, retries=2)
    assert judged.ratings is None and judged.reasons == ["model error: RuntimeError"]
    assert judged.attempts == 1


# --------------------------------------------------------------------------- real data / model


def test_copied_leceval_data(test_data) -> None:
    rows = load_leceval(test_data / "slide2lecture" / "leceval")
    assert len(rows) == 2097
    assert {c: sum(r.course == c for r in rows) for c in ("ml-1", "psy", "speaking")} == {
        "ml-1": 878,
        "psy": 413,
        "speaking": 806,
    }
    assert sum(r.clipped for r in rows) == 1
    psy = [r for r in rows if r.course == "psy"]
    mean_ec = sum(r.human["expressive_clarity"] for r in psy) / len(psy)
    assert mean_ec == pytest.approx(4.53, abs=0.005)  # PROVENANCE.md
    assert all("&#10;" not in r.transcript for r in rows)


@pytest.mark.slow
async def test_embedded_model_rates_three_slides(test_data) -> None:
    rows = sample_rows(load_leceval(test_data / "slide2lecture" / "leceval"), 3)
    llm = get_llm("embedded")
    judged = await judge_scripts(rows, llm, GenerateConfig(max_tokens=40), retries=0)
    for j in judged:  # a 0.5B model: valid ratings or a counted failure, never a crash
        assert j.raw and j.attempts == 1
        assert (j.ratings is not None and all(1 <= v <= 5 for v in j.ratings.values())) or (
            j.ratings is None and j.reasons
        )
    (row,) = spearman_table(rows, {"embedded": [j.ratings for j in judged]})
    assert row.n + row.unscored == 3


def test_impossible_leceval_options_are_input_errors(tmp_path) -> None:
    from lmforge.classroom.commands import LecEvalCommand
    from lmforge.classroom.leceval.benchmark import leceval_benchmark
    from lmforge.config import load_config

    with pytest.raises(InputError, match="field 'limit'"):
        load_config(LecEvalCommand, limit=0)
    with pytest.raises(InputError, match="field 'sample': must be at least 1, got 0"):
        leceval_benchmark(tmp_path, sample=0)
    with pytest.raises(InputError, match="field 'retries': must be at least 0, got -1"):
        leceval_benchmark(tmp_path, scorer="judge", retries=-1)
