"""The official LongReward example as score input (through the ``test_data`` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def example_input(test_data: Path, tmp_path: Path) -> Path:
    """The official example (1 query, 10 sampled responses) as one row per response."""
    root = test_data / "longreward" / "example"
    sft = json.loads((root / "sft.jsonl").read_text().splitlines()[0])
    rows = []
    for line in (root / "sampled_responses.jsonl").read_text().splitlines():
        sampled = json.loads(line)
        rows.append(
            {
                "id": sft["idx"],
                "response_id": sampled["idx"],
                "query": sft["query"],
                "context": sft["context"],
                "response": sampled["answer"],
            }
        )
    path = tmp_path / "input.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
