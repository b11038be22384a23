"""Shared builders: a tiny corpus and a tiny-teacher store, made once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TEXTS = [
    f"Lecture {i}: the teacher explains topic {i % 5} and the students write notes on it."
    for i in range(40)
]


def write_corpus(path: Path, texts: list[str] = TEXTS) -> Path:
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    return path


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch thread: tiny models gain nothing from two, and the cores are shared."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "corpus.jsonl")


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    """A top-0.9-8 store from the random tiny teacher: 16-token windows, 8 windows a shard."""
    from lmforge.distill import ExtractConfig, extract

    folder = tmp_path_factory.mktemp("store") / "s"
    cfg = ExtractConfig(
        input=corpus, store=folder, top_p=0.9, top_k=8, window=16, windows_per_shard=8
    )
    extract(cfg, quiet=True)
    return folder
