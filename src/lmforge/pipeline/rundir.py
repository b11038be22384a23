"""``runs/<what>/<timestamp>/``: the effective config, per-record JSONL and ``summary.json``."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel


def _plain(config: BaseModel | dict[str, Any] | None) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, BaseModel):
        return config.model_dump(mode="json")
    return json.loads(json.dumps(config, default=str))


class RunDir:
    """One run's folder. Reusing an existing folder (``--out``) resumes that run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)

    @classmethod
    def create(cls, what: str, root: str | Path = "runs", *, stamp: str | None = None) -> RunDir:
        stamp = stamp or datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        path = Path(root) / what / stamp
        suffix = 1
        while path.exists():
            suffix += 1
            path = Path(root) / what / f"{stamp}-{suffix}"
        return cls(path)

    @classmethod
    def open(cls, out: str | Path | None, what: str, root: str | Path = "runs") -> RunDir:
        """The folder asked for (``--out``: reusing one resumes that run), else a new one."""
        return cls(out) if out is not None else cls.create(what, root)

    def write_config(self, config: BaseModel | dict[str, Any] | None) -> Path:
        target = self.path / "config.yaml"
        target.write_text(yaml.safe_dump(_plain(config), sort_keys=False, allow_unicode=True))
        return target

    def write_summary(self, summary: dict[str, Any]) -> Path:
        target = self.path / "summary.json"
        target.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
        return target

    def read_summary(self) -> dict[str, Any]:
        target = self.path / "summary.json"
        return json.loads(target.read_text()) if target.exists() else {}

    def __truediv__(self, name: str) -> Path:
        return self.path / name
