"""Reading IFEval inputs and responses, with file:line errors for every bad row.

Formats are the official ones: inputs `{key, prompt, instruction_id_list, kwargs}` (the file
`instruction_following_eval/data/input_data.jsonl`), responses `{prompt, response}` joined to the
inputs on the exact prompt text (`evaluation_lib.read_prompt_to_response_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lmforge.benchmarks.ifeval.registry import KwargsError, normalize_kwargs
from lmforge.errors import InputError
from lmforge.pipeline.records import iter_jsonl

__all__ = ["IFEvalInput", "load_ifeval_inputs", "load_responses", "parse_input_row"]


@dataclass(frozen=True)
class IFEvalInput:
    """One IFEval prompt; `kwargs[i]` are the validated kwargs of `instruction_id_list[i]`."""

    key: int | str
    prompt: str
    instruction_id_list: list[str]
    kwargs: list[dict[str, Any]] = field(default_factory=list)


def _require(row: dict[str, Any], name: str, kind: type, path: Path, line: int) -> Any:
    if name not in row:
        raise InputError("missing required field", path=path, line=line, field=name)
    value = row[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InputError(
            f"expected {kind.__name__}, got {type(value).__name__}",
            path=path,
            line=line,
            field=name,
        )
    return value


def parse_input_row(row: dict[str, Any], path: Path, line: int) -> IFEvalInput:
    """One input row, every instruction id and kwarg checked (InputError names the field)."""
    prompt = _require(row, "prompt", str, path, line)
    ids = _require(row, "instruction_id_list", list, path, line)
    raw_kwargs = _require(row, "kwargs", list, path, line)
    if len(raw_kwargs) != len(ids):
        raise InputError(
            f"{len(raw_kwargs)} kwargs for {len(ids)} instruction ids",
            path=path,
            line=line,
            field="kwargs",
        )
    kwargs = []
    for index, (instruction_id, given) in enumerate(zip(ids, raw_kwargs, strict=True)):
        if not isinstance(instruction_id, str) or not (given is None or isinstance(given, dict)):
            raise InputError(
                f"item {index}: expected an id string and a kwargs object",
                path=path,
                line=line,
                field="instruction_id_list",
            )
        try:
            kwargs.append(normalize_kwargs(instruction_id, given))
        except KwargsError as exc:
            where = (
                exc.field if exc.field == "instruction_id_list" else f"kwargs[{index}].{exc.field}"
            )
            raise InputError(exc.reason, path=path, line=line, field=where) from None
    key = row.get("key", line)
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise InputError("expected an integer or a string", path=path, line=line, field="key")
    return IFEvalInput(key=key, prompt=prompt, instruction_id_list=list(ids), kwargs=kwargs)


def load_ifeval_inputs(path: str | Path) -> list[IFEvalInput]:
    """All IFEval inputs of a JSONL file, in file order (a repeated prompt is allowed, as
    officially: both rows are scored against the one response for that prompt)."""
    path = Path(path)
    return [parse_input_row(row, path, line) for line, row in iter_jsonl(path)]


def load_responses(path: str | Path) -> dict[str, str]:
    """prompt -> response from `{prompt, response}` rows; a later row for the same prompt wins,
    as in the official `read_prompt_to_response_dict`."""
    path = Path(path)
    responses: dict[str, str] = {}
    for line, row in iter_jsonl(path):
        prompt = _require(row, "prompt", str, path, line)
        responses[prompt] = _require(row, "response", str, path, line)
    return responses
