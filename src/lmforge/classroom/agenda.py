"""The teaching agenda: a tree of sections and pages, each page carrying its teaching actions.

Shape follows MAIC-Core's agenda (spec §2.2): root -> sections -> pages after flattening, with
the functions of a page in the order ShowFile -> ReadScript (-> 3 x AskQuestion at the last page
of a section with at least three pages). `to_official` writes the official node/ppt/function
JSON; the pydantic form is what lmforge saves and a teacher edits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag

LABELS = {"ShowFile": "Show slide", "ReadScript": "Read script", "AskQuestion": "Ask question"}


class Question(BaseModel):
    """A quiz item in the official question object format."""

    question: str
    question_type: Literal["single choice", "multiple choice"]
    selects: list[str] = Field(min_length=2, description="Options, rendered as A, B, C, ...")
    answer: list[int] = Field(min_length=1, description="0-based indices of the correct options.")
    reference: str = ""

    def answer_letters(self) -> str:
        return "".join(sorted(chr(ord("A") + i) for i in self.answer))


class ShowFile(BaseModel):
    call: Literal["ShowFile"] = "ShowFile"
    page: int = Field(ge=1, description="Deck page to display.")


class ReadScript(BaseModel):
    call: Literal["ReadScript"] = "ReadScript"
    script: str


class AskQuestion(BaseModel):
    call: Literal["AskQuestion"] = "AskQuestion"
    question: Question


Function = Annotated[ShowFile | ReadScript | AskQuestion, Field(discriminator="call")]


class AgendaPage(BaseModel):
    type: Literal["ppt"] = "ppt"
    index: int = Field(ge=1)
    description: str = ""
    functions: list[Function] = Field(default_factory=list)

    def stringified(self) -> str:
        return f"- P{self.index}: {self.description}"


class AgendaNode(BaseModel):
    type: Literal["node"] = "node"
    title: str
    children: list[Child] = Field(default_factory=list)


def _child_kind(value: Any) -> str | None:
    """A child's tag: its ``type`` (``node`` or ``ppt``); a hand-edited child without one is a
    page when it has an ``index``, else a node. With the tag known, a mistake is reported at the
    field that holds it (``children.0.index``), not as a failed guess of each kind."""
    if isinstance(value, dict):
        given = value.get("type")
        if given is not None:
            return given if isinstance(given, str) else None
        return "ppt" if "index" in value else "node"
    return getattr(value, "type", None)


Child = Annotated[
    Annotated[AgendaNode, Tag("node")] | Annotated[AgendaPage, Tag("ppt")],
    Discriminator(
        _child_kind,
        custom_error_type="agenda_child",
        custom_error_message="expected a section ('type': 'node') or a page ('type': 'ppt')",
    ),
]


AgendaNode.model_rebuild()


class Agenda(BaseModel):
    """Root node (title = deck name) plus where it came from."""

    deck: str = Field(description="Deck file the agenda was prepared from.")
    root: AgendaNode

    def pages(self) -> Iterator[AgendaPage]:
        """Pages in depth-first (teaching) order."""
        yield from _walk_pages(self.root)

    def page(self, index: int) -> AgendaPage:
        for page in self.pages():
            if page.index == index:
                return page
        raise KeyError(f"no page {index} in the agenda")

    def sections(self) -> list[AgendaNode]:
        return [c for c in self.root.children if isinstance(c, AgendaNode)]

    def to_official(self) -> dict:
        return _node_official(self.root)


def _walk_pages(node: AgendaNode) -> Iterator[AgendaPage]:
    for child in node.children:
        if isinstance(child, AgendaPage):
            yield child
        else:
            yield from _walk_pages(child)


def _function_official(fn: ShowFile | ReadScript | AskQuestion) -> dict:
    value = fn.model_dump(exclude={"call"})
    if isinstance(fn, AskQuestion):
        value = fn.question.model_dump(exclude={"reference"})
    return {"call": fn.call, "label": LABELS[fn.call], "value": value}


def _node_official(node: AgendaNode) -> dict:
    children = []
    for child in node.children:
        if isinstance(child, AgendaNode):
            children.append(_node_official(child))
        else:
            children.append(
                {
                    "type": "ppt",
                    "content": {
                        "_id": f"P{child.index}",
                        "index": child.index,
                        "description": child.description,
                    },
                    "stringified": child.stringified(),
                    "function": [_function_official(f) for f in child.functions],
                }
            )
    return {"type": "node", "title": node.title, "children": children, "function": []}
