"""The constraint model shared by every CRAB constraint type, and the official key groups.

A constraint is a sentence added to an instruction (`text`) plus whatever parameters let code
verify it. `check` answers True/False when code can decide, and None when only a judge (an LLM or
a person) can: style, theme, ordering, and any key the constraint-writing model invents.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from lmforge.registry import Registry

from .tokens import ResponseView

__all__ = [
    "GLOBAL_KEYS",
    "LOCAL_KEYS",
    "PYTHON_KEYS",
    "CONSTRAINT_TYPES",
    "REVERSE_TYPES",
    "Constraint",
    "GenericConstraint",
    "register",
    "registered",
]

PYTHON_KEYS: tuple[str, ...] = ("Digit", "Sentence", "Paragraph", "Word", "Keyword", "Punctuation")
"""Keys written by stage 1.3's Python code from the response alone."""

GLOBAL_KEYS: tuple[str, ...] = (
    "Desired_Writing_Style",
    "Semantic_elements",
    "Morphological_Constraints",
    "Multi-lingual_Constraints",
)
"""Keys the global-constraints prompt asks the LLM for."""

LOCAL_KEYS: tuple[str, ...] = (
    "Hierarchical_Instructions",
    "Special_Output_Format",
    "Paragraphs_Constraints",
    "Specific_Sentence",
    "Key_Formatting",
    "Item_Listing_Details",
)
"""Keys the local-constraints prompt asks the LLM for."""

REVERSE_TYPES: tuple[str, ...] = (
    *LOCAL_KEYS,
    *GLOBAL_KEYS,
    "Digit",
    "Keyword",
    "Punctuation",
    "Paragraph",
    "Sentence",
)
"""The 15 types eligible for reverse (back-translation) training; `Word` is not among them."""

CONSTRAINT_TYPES: Registry[type[Constraint]] = Registry("constraint type")
"""The constraint model of each official key that code can check; filled by `register`."""


class Constraint(BaseModel):
    """A constraint sentence and, where code can verify it, its parameters.

    Subclasses add typed parameters and override `check`. The base class verifies nothing, which
    is the honest answer for open-ended constraints.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: ClassVar[str] = ""
    type: str
    text: str

    def describe(self) -> str:
        """The constraint as it is shown to a model: the natural-language sentence."""
        return self.text

    def check(self, response: str | ResponseView) -> bool | None:
        """True/False when code can decide; None when a judge must (the default)."""
        return None

    @property
    def verifiable(self) -> bool:
        """Whether `check` can give a verdict (parameters were known or parsed)."""
        return False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that `constraint_from_dict` turns back into an equal constraint."""
        return self.model_dump(mode="json")


class GenericConstraint(Constraint):
    """Any key without a checker: the judged types and the keys the LLM invents."""


def register(cls: type[Constraint]) -> type[Constraint]:
    """Class decorator: make `cls` the model for its official `key`."""
    return CONSTRAINT_TYPES.add(cls.key, cls)


def registered(type_key: str) -> type[Constraint]:
    """The model for a key; keys are compared without surrounding spaces (the sample has
    " Hierarchical_Instructions")."""
    return CONSTRAINT_TYPES.find(type_key.strip(), GenericConstraint)
