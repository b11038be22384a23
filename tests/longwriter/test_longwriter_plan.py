"""Plan splitting, planned word counts and label stripping: pure text."""

from __future__ import annotations

from lmforge.longwriter import planned_word_counts, split_plan, strip_paragraph_label

WELL_FORMED = (
    "Paragraph 1 - Main Point: The invention of movable type - Word Count: 300 words\n"
    "Paragraph 2 - Main Point: How printing spread across Europe - Word Count: 400 words\n"
    "\n"
    "Paragraph 3 - Main Point: Effects on literacy and science - Word Count: 300 words\n"
)

MARKDOWN = """Sure! Here is the plan for your article:

### Paragraph 1: Introduction

#### Main Point: The history of printing
#### Word Count: 300 words

---

### Paragraph 2: Gutenberg
#### Main Point: The press of 1450
#### Word Count: 1,200 words
"""


def test_a_well_formed_plan_splits_exactly_as_the_official_code():
    steps = split_plan(WELL_FORMED)
    assert steps == split_plan(WELL_FORMED, official=True)
    assert len(steps) == 3
    assert steps[1].startswith("Paragraph 2 - Main Point: How printing")
    assert planned_word_counts(steps) == [300, 400, 300]


def test_markdown_plans_group_into_one_step_per_paragraph_label():
    steps = split_plan(MARKDOWN)
    assert steps == [
        "### Paragraph 1: Introduction - #### Main Point: The history of printing - "
        "#### Word Count: 300 words",
        "### Paragraph 2: Gutenberg - #### Main Point: The press of 1450 - "
        "#### Word Count: 1,200 words",
    ]
    assert planned_word_counts(steps) == [300, 1200]
    # the official split makes a step of every fragment, preamble and rule included
    official = split_plan(MARKDOWN, official=True)
    assert len(official) == 8
    assert official[0] == "Sure! Here is the plan for your article:"
    assert "---" in official


def test_plans_without_labels_fall_back_to_lines():
    assert split_plan("Intro to bees\n\n  \nBee anatomy\n") == ["Intro to bees", "Bee anatomy"]
    assert planned_word_counts(["Intro to bees"]) == [None]


def test_official_split_keeps_the_triple_newline_quirk():
    assert split_plan("a\n\n\nb", official=True) == ["a", "", "b"]
    assert split_plan("a\n\n\nb") == ["a", "b"]
    assert split_plan("") == []
    assert split_plan("", official=True) == [""]


def test_chinese_labels_and_word_counts():
    plan = "段落1 - 主要内容：历史 - 字数：500字\n第2段 - 主要内容：影响 - 字数：约800字"
    steps = split_plan(plan)
    assert len(steps) == 2
    assert planned_word_counts(steps) == [500, 800]


def test_labels_are_stripped_from_the_first_line_only():
    cases = {
        "Paragraph 1\n\nThe press changed Europe.": "The press changed Europe.",
        "**Paragraph 1:** The Beginning\nText": "The Beginning\nText",
        "**Paragraph 1: The Beginning**\nText": "The Beginning\nText",
        "### Paragraph 2: Early Presses\nbody": "### Early Presses\nbody",
        "Paragraph 2 - Main Point: Spread - Word Count: 400 words\nBody": "Body",
        "第3段：开头\n正文": "开头\n正文",
        "Plain text.\nParagraph 3 of the statute applies.": (
            "Plain text.\nParagraph 3 of the statute applies."
        ),
        "  \n": "",
    }
    for raw, clean in cases.items():
        assert strip_paragraph_label(raw) == clean, raw
