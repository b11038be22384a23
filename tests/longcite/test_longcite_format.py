"""LongCite's citation format: numbering (official rule), the statement parser with its
repairs, clipping, merging and the 3-span cap, and the renderers."""

from __future__ import annotations

import json
import random

from helpers import lmforge_cli
from lmforge.longcite import (
    number_context,
    parse_answer,
    render_html,
    render_lines,
    render_terminal,
    repair_tags,
    serialize,
    strip_citations,
    unnumber,
)

DOC = "Alpha is first. Beta is second.  Gamma is third.\n\nDelta is fourth. Epsilon ends."


def sample_context(test_data) -> str:
    line = (test_data / "longcite" / "cof_input_sample.jsonl").read_text(encoding="utf-8")
    return json.loads(line.splitlines()[0])["context"]


def test_the_sample_splits_into_242_and_split_prints_it(test_data, tmp_path):
    text = sample_context(test_data)
    numbered = number_context(text)
    assert len(numbered) == 242
    assert unnumber(numbered.render()) == text[numbered.sentences[0].start :]
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    result = lmforge_cli("longcite", "split", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<C0>INTRODUCTION")
    assert "<C241>" in result.stdout and "<C242>" not in result.stdout
    assert result.stdout.rstrip().endswith("sentences: 242")


def test_chunks_run_to_the_next_sentence_start():
    numbered = number_context("  " + DOC)
    assert [s.text for s in numbered.sentences] == [
        "Alpha is first.", "Beta is second.", "Gamma is third.", "Delta is fourth.",
        "Epsilon ends.",
    ]  # fmt: skip
    assert numbered.chunks[1] == "Beta is second.  "
    assert numbered.chunks[2] == "Gamma is third.\n\n"
    assert numbered.render().startswith("<C0>Alpha is first. <C1>Beta")  # leading blanks dropped
    assert numbered.span_text(1, 2) == "Beta is second.  Gamma is third.\n\n"
    start, end = numbered.span_offsets(1, 2)
    assert ("  " + DOC)[start:end] == numbered.span_text(1, 2)


def test_chinese_marks_split_and_the_paragraph_fallback():
    zh = number_context("今天下雨。我们去哪里？不知道！好；走")
    assert [s.text for s in zh.sentences] == [
        "今天下雨。",
        "我们去哪里？",
        "不知道！",
        "好；",
        "走",
    ]
    flat = number_context("no full stop here\n\nnor here\n\n\nlast bit")
    assert [s.text for s in flat.sentences] == ["no full stop here", "nor here", "last bit"]


def test_parser_walk_free_text_spans_merge_and_cap():
    ctx = number_context(DOC)
    answer = (
        "Intro text here.\n"
        "<statement>Alpha and Beta.<cite>[0-0][1-1]</cite></statement>"
        "\n\n"
        "<statement>Ignored single ids.<cite>[2][9-12][3-1]</cite></statement>"
        "<statement>Clipped.<cite>[3-99]</cite></statement>"
        "<statement>Capped.<cite>[0-0][2-2][4-4][1-1]</cite></statement>"
        "<statement>  </statement>"
        "<statement>lost because unclosed<cite>[0-0]</cite>"
    )
    parsed = parse_answer(answer, ctx)
    stmts = parsed.statements
    assert [s.statement for s in stmts] == [
        "Intro text here.\n", "Alpha and Beta.", "Ignored single ids.", "Clipped.", "Capped."
    ]  # fmt: skip
    assert stmts[0].citation == ()  # uncited free text is a statement
    (merged,) = stmts[1].citation
    assert (merged.start_sentence_idx, merged.end_sentence_idx) == (0, 1)
    assert merged.cite == "Alpha is first. Beta is second.  "
    assert stmts[2].citation == ()
    assert [(c.start_sentence_idx, c.end_sentence_idx) for c in stmts[3].citation] == [(3, 4)]
    assert [(c.start_sentence_idx, c.end_sentence_idx) for c in stmts[4].citation] == [
        (0, 0), (2, 2), (4, 4)
    ]  # fmt: skip
    assert "\n\n" in [p.statement for p in parsed.pieces if p.citation is None]
    assert "unclosed" not in parsed.answer
    assert parsed.answer.startswith("<statement>Intro text here.\n<cite></cite></statement>")


def test_short_free_text_is_not_a_statement():
    parsed = parse_answer("ok.\n<statement>A.<cite>[0-0]</cite></statement>", number_context(DOC))
    assert [s.statement for s in parsed.statements] == ["A."]
    assert parsed.pieces[0].citation is None and parsed.pieces[0].statement == "ok.\n"


def test_repairs_fix_the_common_typos():
    assert repair_tags("statement>A<cite>[1-2]</cite></statement>") == (
        "<statement>A<cite>[1-2]</cite></statement>"
    )
    assert repair_tags("<statement A< cite>[1-1]</ cite></statement>") == (
        "<statement>A<cite>[1-1]</cite></statement>"
    )
    assert repair_tags("<statement><statement>A<cite></cite></statement></statement>") == (
        "<statement>A<cite></cite></statement>"
    )
    assert repair_tags("<statement>A</statement><cite></cite></statement>") == (
        "<statement>A<cite></cite></statement>"
    )
    clean = "<statement>A<cite>[0-1]</cite></statement>\n\n<statement>B<cite></cite></statement>"
    assert repair_tags(clean) == clean


def test_strip_citations():
    assert strip_citations("<statement>A.<cite>[0-1]</cite></statement> B") == "A. B"


def _random_answer(rng: random.Random, n: int) -> str:
    parts = []
    for _ in range(rng.randint(0, 6)):
        if rng.random() < 0.3:
            parts.append(rng.choice(["\n\n", "Some free text here. ", " "]))
        spans = "".join(f"[{a}-{a + rng.randint(0, 2)}]" for a in rng.sample(range(n), 2))
        parts.append(f"<statement>Claim {rng.randint(0, 99)}.<cite>{spans}</cite></statement>")
    return "".join(parts)


def test_parse_serialize_round_trip_seeded():
    ctx = number_context(DOC)
    rng = random.Random(7)
    for _ in range(200):
        first = parse_answer(_random_answer(rng, len(ctx)), ctx)
        again = parse_answer(serialize(first.pieces), ctx)
        assert again.statements == first.statements
        for s in first.statements:
            assert len(s.citation) <= 3
            for c in s.citation:
                assert 0 <= c.start_sentence_idx <= c.end_sentence_idx < len(ctx)
                assert DOC[c.start_char_idx : c.end_char_idx] == c.cite


def test_renderers_put_each_statement_beside_its_cited_text():
    ctx = number_context(DOC)
    parsed = parse_answer(
        "<statement>Gamma <b> is third.<cite>[2-2]</cite></statement>\n\n"
        "<statement>Unsourced claim.<cite></cite></statement>",
        ctx,
    )
    lines = render_lines(parsed)
    assert lines[:2] == ["Gamma <b> is third. [2-2]", "    [2-2] Gamma is third."]
    page = render_html(parsed, query="Which is third?")
    assert '<td class="s">Gamma &lt;b&gt; is third.</td><td><blockquote>' in page
    assert "Gamma is third.</blockquote>" in page and "no citation" in page
    table = render_terminal(parsed, width=80)
    assert "Gamma <b> is third." in table and "[2-2]" in table and "(no citation)" in table
