"""LongCite's verbs (``lmforge longcite split|answer|bench|cof``): the library functions the
CLI calls, each with its typed config; the work lives in the modules they import."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

__all__ = ["SplitCommand", "split"]


class SplitCommand(BaseModel):
    """A text file to cut into LongCite's numbered sentences."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    text_file: Path
    """Plain UTF-8 text to split (the official rule: untrained Punkt + 。；！？, blank-line
    fallback)."""
    numbered: bool = True
    """Print the numbered context (``<C0>...<C1>...``); off: only the count."""


def split(config: SplitCommand) -> list[str]:
    """Print the ``<C{i}>`` numbered context, then ``sentences: N``."""
    from lmforge.inputs import read_text

    from .numbering import number_context

    numbered = number_context(read_text(config.text_file, what="text file"))
    lines = [numbered.render()] if config.numbered else []
    return [*lines, f"sentences: {len(numbered)}"]
