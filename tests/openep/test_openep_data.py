"""The OpenEPBench loader, the periods and the gold target of time questions."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from lmforge.errors import InputError
from lmforge.openep import QUESTION_TYPES, gold_period, load_questions, period_table, target_time
from lmforge.openep.data import Question


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_release_files_load_with_the_published_counts(test_data):
    en = load_questions(test_data / "openep" / "en_valid_data.jsonl", require_answer=True)
    zh = load_questions(test_data / "openep" / "cn_valid_data.jsonl", require_answer=True)
    assert (len(en), len(zh)) == (114, 869)
    assert Counter(q.question_type for q in en)["time"] == 11  # spec 3.2
    assert Counter(q.question_type for q in zh)["social response"] == 202
    assert set(q.question_type for q in zh) == set(QUESTION_TYPES)
    samples = load_questions(test_data / "openep" / "question_samples.jsonl")
    assert samples[0].tar_time == "other" and samples[0].answer is None


def test_a_bad_row_names_file_line_and_field(tmp_path, make_question):
    path = _write(tmp_path / "q.jsonl", [make_question(1), make_question(2, question_type="why")])
    with pytest.raises(InputError) as err:
        load_questions(path)
    text = str(err.value)
    assert "q.jsonl:2" in text and "question_type" in text
    _write(path, [make_question(1, date_question="July 1")])
    with pytest.raises(InputError, match="date_question"):
        load_questions(path)
    _write(path, [make_question(1), make_question(1)])
    with pytest.raises(InputError, match="duplicate id"):
        load_questions(path)
    _write(path, [make_question(1, answer=None)])
    with pytest.raises(InputError, match="answer"):
        load_questions(path, require_answer=True)


def test_target_time_from_tar_time_or_leading_answer_date(make_question):
    q = Question.model_validate(make_question(question_type="time", answer=["2024-07-08,Found."]))
    assert target_time(q) == "2024-07-08"
    prose = Question.model_validate(make_question(question_type="time", answer=["On July 7."]))
    assert target_time(prose) is None
    given = Question.model_validate(make_question(question_type="time", tar_time="other"))
    assert target_time(given) == "other"


def test_evaluation_periods_are_days_1_to_5_6_to_10_11_to_15():
    day = date(2024, 7, 6)
    assert gold_period(day, "2024-07-06") == "period_4"  # day 0 is in no evaluation period
    assert gold_period(day, "2024-07-07") == "period_1"
    assert gold_period(day, "2024-07-11") == "period_1"
    assert gold_period(day, "2024-07-12") == "period_2"
    assert gold_period(day, "2024-07-21") == "period_3"
    assert gold_period(day, "2024-07-22") == "period_4"
    assert gold_period(day, "other") == "period_4"


def test_prediction_periods_start_on_the_question_day():
    table = period_table(date(2024, 7, 6))
    assert table[0] == ("period_1", "2024-07-06 to 2024-07-10")
    assert table[2] == ("period_3", "2024-07-16 to 2024-07-20")
    assert table[3][0] == "period_4"
