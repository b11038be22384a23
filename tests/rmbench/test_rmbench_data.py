"""The RM-Bench loader: both upstream layouts, domain selection, and bad rows named by line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import write_jsonl
from lmforge.errors import InputError
from lmforge.rmbench.data import (
    DATA_ENV,
    default_data,
    load_file,
    load_samples,
    looks_truncated,
    subdomain_from_name,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "rmbench"


def row(i: int = 1, **over) -> dict:
    base = {
        "id": i,
        "prompt": f"question {i}?",
        "chosen": ["c0.", "c1.", "c2."],
        "rejected": ["r0.", "r1.", "r2."],
    }
    return {**base, **over}


def write_array(path: Path, rows: list) -> Path:
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return path


def test_shared_data_counts_and_domains(test_data):
    samples = load_samples([test_data / "rmbench"])
    counts: dict[str, int] = {}
    for s in samples:
        counts[s.subdomain] = counts.get(s.subdomain, 0) + 1
    assert counts == {"chat": 129, "code": 228, "safety-refuse": 284, "safety-response": 157}
    assert {s.domain for s in samples} == {"chat", "code", "safety"}
    first_chat = next(s for s in samples if s.subdomain == "chat")
    assert first_chat.id == 8 and first_chat.key == "chat/8"
    assert first_chat.extra["error_key"] == "shoes"  # extra fields are kept


def test_truncation_counts_match_the_research_notes(test_data):
    """The data problem of upstream issue #3, counted as the notes count it."""
    samples = load_samples([test_data / "rmbench"])
    cut: dict[str, list[int]] = {}
    for s in samples:
        flags = s.truncated["chosen"] + s.truncated["rejected"]
        tally = cut.setdefault(s.subdomain, [0, 0])
        tally[0] += sum(flags)
        tally[1] += 6
    assert cut == {
        "chat": [215, 774],
        "safety-refuse": [334, 1704],
        "code": [17, 1368],
        "safety-response": [2, 942],
    }
    assert looks_truncated("It was the") and not looks_truncated("Done.\n")


def test_domain_selection(test_data):
    data = [test_data / "rmbench"]
    safety = load_samples(data, ["safety"])
    assert {s.subdomain for s in safety} == {"safety-refuse", "safety-response"}
    assert {s.subdomain for s in load_samples(data, ["chat", "safety-refuse"])} == {
        "chat",
        "safety-refuse",
    }
    with pytest.raises(InputError, match="'math' is not in the data.*THU-KEG/RM-Bench"):
        load_samples(data, ["math"])
    with pytest.raises(InputError, match="unknown domain 'poetry'"):
        load_samples(data, ["poetry"])


def test_math_and_total_dataset_are_accepted(tmp_path):
    """The math split is not shipped; a user's file (per-domain or total) must load."""
    write_array(tmp_path / "math_filtered.json", [row(1), row(2)])
    assert {s.subdomain for s in load_samples([tmp_path], ["math"])} == {"math"}
    total = tmp_path / "hf"
    total.mkdir()
    write_array(
        total / "total_dataset.json",
        [row(1, domain="chat"), row(1, domain="math"), row(5, domain="safety-response")],
    )
    samples = load_samples([total])
    assert [s.key for s in samples] == ["chat/1", "math/1", "safety-response/5"]
    assert [s.domain for s in samples] == ["chat", "math", "safety"]


def test_examples_load_in_the_official_schema():
    samples = load_samples([EXAMPLES])
    by_domain = {s.subdomain for s in samples}
    assert by_domain == {"chat", "code", "safety-refuse", "safety-response"}
    assert 3 <= sum(s.domain == "chat" for s in samples) <= 4
    assert all(c != r for s in samples for c, r in zip(s.chosen, s.rejected, strict=True))


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([row(1), row(2, chosen=["a", "b"])], r":16: field 'chosen': expected a list of 3"),
        ([row(1), row(2, rejected=["a", 3, "c"])], r":16: field 'rejected': response 1 \(plain\)"),
        ([row(1, prompt="  ")], r":2: field 'prompt': missing or empty"),
        ([{"prompt": "p", "chosen": [], "rejected": []}], r":2: field 'id'"),
        ([row(1), row(1)], r":16: field 'id': duplicate sample chat/1"),
        ([row(1, domain="poems")], r":2: field 'domain': unknown domain 'poems'"),
        (["text"], r":2: expected a JSON object"),
    ],
    ids=["short-list", "non-string", "empty-prompt", "no-id", "duplicate", "domain", "not-object"],
)
def test_bad_rows_name_file_line_and_field(tmp_path, rows, message):
    path = write_array(tmp_path / "chat_filtered.json", rows)
    with pytest.raises(InputError, match=message) as info:
        load_samples([path])
    assert str(info.value).startswith(str(path))


def test_broken_json_and_unknown_domain_file(tmp_path):
    broken = tmp_path / "chat_filtered.json"
    broken.write_text('[\n  {"id": 1,\n   "prompt": }\n]')
    with pytest.raises(InputError, match=r"chat_filtered.json:3: invalid JSON"):
        load_file(broken)
    anonymous = write_array(tmp_path / "scores.json", [row(1)])
    with pytest.raises(InputError, match="no 'domain' field and the file name"):
        load_file(anonymous)
    assert load_file(anonymous, "code")[0].subdomain == "code"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no RM-Bench files here"):
        load_samples([empty])


def test_jsonl_and_name_prefixes(tmp_path):
    path = write_jsonl(tmp_path / "safety-refuse_part1.jsonl", [row(i) for i in range(3)])
    assert [s.subdomain for s in load_file(path)] == ["safety-refuse"] * 3
    assert subdomain_from_name(Path("safety-response_filtered.json")) == "safety-response"
    assert subdomain_from_name(Path("results.json")) is None


def test_default_data_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(DATA_ENV, raising=False)
    with pytest.raises(InputError, match="pass --data DIR"):
        default_data()
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert default_data() == [tmp_path]
