"""An unknown model spec is the user's bad option: one line, exit 2 (docs/exit-codes.md),
wherever the spec is given (`--model`, or inside another option such as `--triggers llm:X`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lmforge.errors import ConfigError, InputError
from lmforge.llm.registry import get_llm

LMFORGE = [sys.executable, "-m", "lmforge.cli"]


def test_unknown_spec_is_input_error_and_still_a_config_error():
    with pytest.raises(InputError, match="unknown model spec 'nosuch'") as info:
        get_llm("nosuch")
    assert isinstance(info.value, ConfigError)


@pytest.mark.parametrize("option", ["--triggers", "--classifier"])
def test_unknown_spec_inside_an_option_exits_2(tmp_path, option):
    src = tmp_path / "f.jsonl"
    src.write_text(json.dumps({"id": "1", "text": "The bank collapsed in 2008."}) + "\n")
    out = tmp_path / "run"
    args = ["mavenfact", "annotate", str(src), option, "llm:nosuch", "--out", str(out)]
    result = subprocess.run(LMFORGE + args, capture_output=True, text=True, timeout=120,
                            env={**os.environ})  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unknown model spec 'nosuch'")
    assert "Traceback" not in result.stderr
