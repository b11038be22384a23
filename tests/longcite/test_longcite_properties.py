"""Property tests (hypothesis): numbering and span-parsing round trips on arbitrary text."""

from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lmforge.longcite import number_context, parse_answer, serialize, unnumber  # noqa: E402

WORDS = st.sampled_from(["alpha", "Beta", "gamma.", "delta!", "e.g.", "好。", "问？", "\n\n", " "])
TEXTS = st.lists(WORDS, min_size=1, max_size=40).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(TEXTS)
def test_numbering_round_trip(text):
    numbered = number_context(text)
    if not numbered.sentences:
        assert not text.strip()
        return
    assert unnumber(numbered.render()) == text[numbered.sentences[0].start :]
    for i, sentence in enumerate(numbered.sentences):
        assert numbered.chunks[i].startswith(sentence.text)
        assert text[sentence.start : sentence.end] == sentence.text


SPANS = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=6)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="abc .,", min_size=1, max_size=12), SPANS), max_size=5))
def test_span_parsing_round_trip(blocks):
    ctx = number_context("One. Two. Three. Four. Five. Six. Seven. Eight.")
    answer = "".join(
        f"<statement>{text}<cite>{''.join(f'[{a}-{b}]' for a, b in spans)}</cite></statement>"
        for text, spans in blocks
    )
    first = parse_answer(answer, ctx)
    assert parse_answer(serialize(first.pieces), ctx).statements == first.statements
    for s in first.statements:
        assert len(s.citation) <= 3
        ends = [(c.start_sentence_idx, c.end_sentence_idx) for c in s.citation]
        assert all(0 <= a <= b < len(ctx) for a, b in ends)
