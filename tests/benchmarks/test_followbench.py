"""FollowBench scoring: rule programs, judge-answer parsing, metrics, loading (scripted judge)."""

from __future__ import annotations

import json
import re

import pytest

import lmforge.benchmarks.followbench as fb
from helpers import write_jsonl
from lmforge.benchmarks.followbench import (
    FBItem,
    FBResponse,
    format_fb_report,
    is_rule_checked,
    judge_messages,
    load_fb_responses,
    load_followbench,
    parse_judgement,
    rule_check,
    score_followbench,
    template_match,
)
from lmforge.errors import InputError
from lmforge.llm.scripted import ScriptedLLM


def item(source: str, level: int, target: str = "", category: str = "content", eid: int = 1):
    return FBItem(eid, category, source, level, f"instruction {eid}/{level}", target)


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("source", "target", "good", "bad"),
    [
        ("E2E", "name[The Mill], eatType[pub]", "name[The Mill], eatType[pub]", "name[The Mill]"),
        ("text_editing", "apples love I", "apples love I", "apples love I "),
        ("WIKIEVENTS", "a at <b>\nc at d", "c at d\na at <b>", "a at <b>\nx"),
        ("CONLL2003", "['Britain', 'Bonn']", "Bonn", "Paris"),
        ("BBH_logical", "(B)", "First (A)? No: the answer is (B)", "(B) or maybe (C)"),
        ("BBH_time", "12/29/1937", "It is 12/29/1937.", "12/29/1937, no: 12/30/1937"),
        ("self_made_space", "20th floor", "She is on the 20th floor.", "the 21st floor"),
        ("gsm_8k", "$14", "3 + 11 = $14", "$14 ... total $15"),
    ],
)
def test_target_rules(source: str, target: str, good: str, bad: str) -> None:
    it = item(source, 3, target)
    assert is_rule_checked(it)
    assert rule_check(it, good) is True
    assert rule_check(it, bad) is False


def test_level_rules_add_one_check_per_level() -> None:
    # xsum: one sentence, < 20 words, no "Newton Stewart", present continuous, "operation"
    text = "Police are investigating the operation in town"
    for level in range(1, 6):
        assert rule_check(item("xsum", level), text), level
    stewart = "Police are investigating in Newton Stewart"
    assert rule_check(item("xsum", 2), stewart) and not rule_check(item("xsum", 3), stewart)
    assert not rule_check(item("xsum", 1), "One. Two.")
    # gigaword: exactly 8 space-separated words, no punctuation, lower case, no bus, has "in"
    head = "storm hits coast in the north east today"
    assert all(rule_check(item("gigaword", lv), head) for lv in range(1, 6))
    assert not rule_check(item("gigaword", 2), "storm hits coast in the north-east today ok")
    assert rule_check(item("gigaword", 2), "storm hits coast on the north east today")
    assert not rule_check(item("gigaword", 3), "Storm hits coast in the north east today")
    assert not rule_check(item("gigaword", 5), "storm hits coast on the north east today")
    # samsum level 5: exactly one punctuation character
    chat = "Tom will bring the stuff tomorrow."
    assert rule_check(item("samsum", 5), chat)
    assert not rule_check(item("samsum", 5), "Tom will bring the stuff tomorrow!!")
    assert not rule_check(item("samsum", 4), "Tom will stop procrastinating and bring the stuff.")
    # arxiv level 3: starts with "We"
    assert rule_check(item("arxiv", 3), "We study activations.")
    assert not rule_check(item("arxiv", 3), "This paper studies activations.")


def test_cnn_dailymail_per_sentence_words() -> None:
    text = "Harry Potter star turns 18. The actor gains access to his fortune. He has made films."
    assert all(rule_check(item("cnn_dailymail", lv), text) for lv in range(1, 6))
    lavish = "Harry Potter star turns 18. The actor buys a lavish car. He has made films."
    assert rule_check(item("cnn_dailymail", 3), lavish)
    assert not rule_check(item("cnn_dailymail", 4), lavish)
    assert not rule_check(item("cnn_dailymail", 5), text.replace("has made", "made"))
    assert not rule_check(item("cnn_dailymail", 1), "Only one sentence.")


LONG = "word " * 21


def _para(n: int) -> str:
    return f"{n}. This sentence about caring for a wooden table has {LONG.strip()} words"


def test_format_22_fixed_level_5_and_official_quirk() -> None:
    body = "\n\n".join(_para(n) for n in (1, 2, 3))
    it = {lv: item("helpful_base", lv, category="format", eid=22) for lv in range(1, 6)}
    assert all(rule_check(it[lv], body) for lv in range(1, 5))
    assert not rule_check(it[4], body.replace("1. ", "", 1))
    plain = re.sub(r"(?m)^\d\. ", "", body)
    assert rule_check(it[3], plain, official=True)
    assert not rule_check(it[3], body, official=True)  # "1." counts as a one-word sentence
    assert not rule_check(it[4], body, official=True)
    closing = body + "\n\nThose are suggestions."
    assert rule_check(it[5], closing)
    assert rule_check(it[5], body + " Those are suggestions")
    assert not rule_check(it[5], body)
    # the official check needs 4 numbered paragraphs with > 20-word sentences: unsatisfiable
    assert not rule_check(it[5], closing, official=True)
    assert not rule_check(it[5], body + "\n\nThose are suggestions", official=True)


def test_format_30_checks_are_cumulative() -> None:
    points = "\n".join(
        f"**{n}. Growth:** Innovation lifts the growth of firms across every region of the land."
        for n in range(1, 6)
    )
    it = {lv: item("koala", lv, category="format", eid=30) for lv in range(1, 6)}
    assert rule_check(it[1], points) and rule_check(it[2], points)
    assert not rule_check(it[1], "No markers here.")
    assert not rule_check(it[2], "**1. Growth:** only one point.")


def test_example_template_and_multiline_fix() -> None:
    target = "{instruction}\n{{'AI assistant': '{answer}'}}"
    assert template_match(target, "{'AI assistant': 'Legal Anywhere.com'}")
    assert not template_match(target, "The subject is Legal Anywhere.com")
    assert not template_match(target, "{'AI assistant': 'x'} and more text")
    multi = "{'AI assistant': 'line one\nline two'}"
    assert template_match(target, multi)
    assert not template_match(target, multi, official=True)
    ex = FBItem(1, "example", "aeslc", 2, "q", target, "{'AI assistant': 'a'}")
    assert is_rule_checked(ex) and rule_check(ex, "{'AI assistant': 'b'}")


def test_judged_items_are_not_rule_checked() -> None:
    it = item("oasst", 2, category="style")
    assert not is_rule_checked(it)
    with pytest.raises(ValueError, match="judged by a model"):
        rule_check(it, "text")
    assert not is_rule_checked(item("helpful_base", 2, category="format", eid=21))


# --------------------------------------------------------------------------- judge parsing


@pytest.mark.parametrize(
    ("text", "level", "hard", "soft"),
    [
        ("The constraint is met.\n['YES']", 1, 1, 1.0),
        ("Not met.\n['NO']", 1, 0, 0.0),
        ("YES", 1, 1, 1.0),
        ("```\nreasoning\n['YES', 'NO']\n```", 2, 0, 0.5),
        ("analysis\n['YES', 'YES', 'YES']", 3, 1, 1.0),
        ('final: ["YES", "PARTIAL", "MAYBE", "N/A"]', 4, 0, 0.25),
        ("['UNKNOWN', 'YES', 'YES', 'YES', 'YES']", 5, 0, 0.8),
        ("1) ok\n2) ok\nSo: ['YES', 'YES'] overall", 2, 1, 1.0),
    ],
)
def test_parse_judgement_accepts(text: str, level: int, hard: int, soft: float) -> None:
    got = parse_judgement(text, level)
    assert (got.hard, got.soft, got.failure) == (hard, pytest.approx(soft), None)


@pytest.mark.parametrize(
    ("text", "level", "reason"),
    [
        ("I cannot tell.", 1, "no YES/NO"),
        ("['YES', 'NO']\nThat is my answer.", 2, "no list"),
        ("['YES', 'NO', 'YES']", 2, "3 elements, expected 2"),
        ("['YES']", 2, "1 elements, expected 2"),
        ("['YES', 'yes']", 2, "invalid element 'yes'"),
        ("['YES', 'SOMEWHAT']", 2, "invalid element"),
        ("[YES, NO]", 2, "cannot be read"),
        ("[__import__('os')]", 1 + 1, "cannot be read"),
        ("", 3, "no list"),
        ("('YES', 'YES')", 2, "no list"),
    ],
)
def test_parse_judgement_failures_are_reported(text: str, level: int, reason: str) -> None:
    got = parse_judgement(text, level)
    assert got.hard is None and got.soft is None
    assert reason in (got.failure or "")
    assert got.raw == text


def test_level_1_reads_yes_before_no_like_the_official_code() -> None:
    assert parse_judgement("NO wait, YES", 1).hard == 1
    assert parse_judgement("['NOT SURE']", 1).hard == 0


def test_judge_prompt_shows_whole_evolution_path() -> None:
    path = ["Seed task.", "Seed task. Be brief.", "Seed task. Be brief. Rhyme.", "S. B. R. Cite."]
    text = judge_messages("style", path, "My answer")[0].content
    positions = [text.index(p) for p in path]
    assert positions == sorted(positions)
    assert "#Initial Instruction + 3 constraints#" in text
    assert "style constraint" in text and "My answer" in text
    assert "Python list of 3 elements" in text
    one = judge_messages("mixed", path[:2], "A")[0].content
    assert "one element" in one and "#Initial Instruction + 2" not in one


# --------------------------------------------------------------------------- metrics


def _groups(category: str = "style") -> list[FBItem]:
    items = []
    for eid in (1, 2):
        for lv in range(6):
            items.append(FBItem(eid, category, "oasst", lv, f"g{eid} level {lv}", ""))
    return items


SCRIPT = {
    ("A", 1): "ok\n['YES']",
    ("A", 2): "['YES', 'YES']",
    ("A", 3): "['YES', 'NO', 'YES']",
    ("A", 4): "['YES', 'YES', 'YES', 'YES']",
    ("A", 5): "I think most constraints hold.",
    ("B", 1): "['NO']",
    ("B", 2): "['YES', 'YES']",
    ("B", 3): "['YES', 'YES', 'YES']",
    ("B", 4): "['NO', 'NO', 'NO', 'NO']",
    ("B", 5): "['YES', 'YES', 'YES', 'YES', 'YES']",
}


def _judge(fail: tuple[str, int] | None = None) -> ScriptedLLM:
    """Answers from SCRIPT by group and level; ``fail`` raises a model error for one item."""

    def answer(messages, config) -> str | Exception:
        prompt = messages[-1].content
        level = int(re.search(r"#Answer of Initial Instruction \+ (\d)", prompt).group(1))
        who = "A" if "answer from A" in prompt else "B"
        return RuntimeError("boom") if (who, level) == fail else SCRIPT[(who, level)]

    return ScriptedLLM(answer)


def _responses(items: list[FBItem]) -> dict:
    return {
        i.key: FBResponse(i.key, f"answer from {'A' if i.example_id == 1 else 'B'}")
        for i in items
        if i.level > 0
    }


async def test_metrics_hand_computed() -> None:
    items = _groups()
    report = await score_followbench(items, _responses(items), _judge())
    cells = report.cells["style"]
    assert [cells[lv].hsr for lv in range(1, 6)] == [50.0, 100.0, 50.0, 50.0, 50.0]
    ssr = [cells[lv].ssr for lv in range(1, 6)]
    assert ssr == pytest.approx([50.0, 100.0, (2 / 3 + 1) / 2 * 100, 50.0, 50.0])
    assert report.csl == {"style": 1.0} and report.csl_groups == {"style": 2}
    assert report.average() == pytest.approx(60.0)
    assert report.weighted("style") == pytest.approx(850 / 15)
    assert report.totals()["failures"] == 1 and cells[5].failures == 1
    failed = [o for o in report.outcomes if o.failure]
    assert [(o.example_id, o.level) for o in failed] == [(1, 5)]
    assert failed[0].raw == SCRIPT[("A", 5)]


async def test_failure_policies() -> None:
    items = _groups()
    excl = await score_followbench(items, _responses(items), _judge(), failures="exclude")
    assert excl.cells["style"][5].hsr == 100.0 and excl.cells["style"][5].scored == 1
    assert excl.csl == {"style": 0.0} and excl.csl_groups == {"style": 1}
    official = await score_followbench(items, _responses(items), _judge(), failures="official")
    assert official.cells["style"][5].hsr == 0.0  # the -1 cancels B's success


async def test_categories_are_averaged_per_level_and_rules_need_no_judge() -> None:
    items = _groups("style") + [
        FBItem(eid, "example", "x", lv, f"e{eid}/{lv}", "{instruction}\nBOT: {answer}", "BOT: a")
        for eid in (1, 2)
        for lv in range(1, 6)
    ]
    responses = _responses(items)
    for i in items:
        if i.category == "example":
            good = i.example_id == 1 or i.level <= 2
            responses[i.key] = FBResponse(i.key, "BOT: yes" if good else "yes")
    report = await score_followbench(items, responses, _judge())
    ex = report.cells["example"]
    assert [ex[lv].hsr for lv in range(1, 6)] == [100.0, 100.0, 50.0, 50.0, 50.0]
    assert report.csl["example"] == (5 + 2) / 2
    row = report.level_row()
    assert row[1] == (50.0 + 100.0) / 2 and row[3] == (50.0 + 50.0) / 2
    unjudged = await score_followbench(items, responses, None)
    assert unjudged.cells["style"][1].hsr is None and unjudged.cells["style"][1].unjudged == 2
    assert unjudged.totals()["failures"] == 0 and unjudged.level_row()[1] == 100.0
    lines = format_fb_report(unjudged)
    assert "unjudged (no judge): 10" in lines[-2] and "not comparable" in lines[-1]
    assert "averaged per level: example" in lines[0]
    assert lines[4].startswith("CSL") and "3.5 levels" in lines[4]


async def test_missing_responses_and_model_errors() -> None:
    items = _groups()
    responses = _responses(items)
    del responses[("style", 2, 5)]
    judge = _judge(fail=("B", 4))
    report = await score_followbench(items, responses, judge)
    assert report.cells["style"][5].missing == 1
    assert report.cells["style"][4].failures == 1 and report.cells["style"][4].hsr == 50.0
    assert any(o.failure and o.failure.startswith("model error") for o in report.outcomes)
    assert report.csl_groups == {"style": 1}  # group 2 lacks level 5
    text = "\n".join(format_fb_report(report))
    assert "missing responses: 1" in text
    assert "judge failures: 2 (1 unparseable, 1 model errors; counted as zero)" in text


# --------------------------------------------------------------------------- loading


def _write(tmp_path, rows) -> str:
    return str(write_jsonl(tmp_path / "responses.jsonl", rows))


def test_load_responses_matches_keys_and_instructions(tmp_path) -> None:
    items = _groups()
    rows = [
        {"category": "style", "example_id": 1, "level": 1, "response": "r1"},
        {"instruction": "g1 level 2", "generation": "r2"},
        {"prompt_new": "g2 level 3", "choices": [{"message": {"content": "r3"}}]},
        {"category": "style", "example_id": 2, "level": 4, "response": None},
    ]
    got = load_fb_responses(_write(tmp_path, rows), items)
    assert {k: v.response for k, v in got.items()} == {
        ("style", 1, 1): "r1",
        ("style", 1, 2): "r2",
        ("style", 2, 3): "r3",
    }


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["{not json\n"], ":1: invalid JSON"),
        ([{"category": "style", "example_id": 1, "level": 1}], ":1: missing the answer"),
        ([{"instruction": "unknown", "response": "x"}], ":1: field 'instruction': instruction "),
        ([{"response": "x"}], ":1: cannot match the row"),
        ([{"category": "style", "example_id": 9, "level": 1, "response": "x"}], ":1: no Follow"),
        ([{"category": "style", "example_id": 1, "level": 0, "response": "x"}], "levels 1..5"),
        (
            [{"instruction": "g1 level 1", "response": "a"}] * 2,
            ":2: second response to ('style', 1, 1)",
        ),
        (
            [{"category": "style", "example_id": 1, "level": 1, "response": 3}],
            "field 'response': Input should be a valid string",
        ),
    ],
)
def test_load_responses_errors_name_file_and_line(tmp_path, rows, message) -> None:
    path = _write(tmp_path, rows)
    with pytest.raises(InputError) as err:
        load_fb_responses(path, _groups())
    assert path in str(err.value) and message in str(err.value)


def test_load_responses_without_items_needs_keys(tmp_path) -> None:
    path = _write(tmp_path, [{"instruction": "g1 level 1", "response": "a"}])
    with pytest.raises(InputError, match="category"):
        load_fb_responses(path)


def test_load_followbench_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="no FollowBench file"):
        load_followbench(tmp_path, ("style",))
    (tmp_path / "style_constraints.json").write_text(json.dumps([{"example_id": 1}]))
    with pytest.raises(InputError, match="field 'category'"):
        load_followbench(tmp_path, ("style",))


def test_official_data(test_data) -> None:
    items = load_followbench(test_data / "crab" / "followbench")
    assert len(items) == 944
    scored = [i for i in items if i.level > 0]
    assert len(scored) == 820
    assert sum(map(is_rule_checked, scored)) == 350
    mixed = next(i for i in items if i.category == "mixed" and i.level == 2)
    assert mixed.constraint_types == "format, content"
    examples = [i for i in items if i.category == "example"]
    assert all(rule_check(i, i.answer) for i in examples)
    assert sum(rule_check(i, i.answer, official=True) for i in examples) == 195


def test_exports() -> None:
    assert sorted(fb.__all__) == sorted(set(fb.__all__))
    for name in fb.__all__:
        assert getattr(fb, name) is not None
