"""The outline while it grows, and the official trace answers read into it.

:class:`OutlineTree` holds the sections placed so far and the open branch, and checks a proposed
placement against the rules (the guards listed in :mod:`lmforge.classroom.prepare.outline`);
:func:`parse_trace` reads the section titles above a page out of a model's outline answer.
Split from the builder so that the tree can be read on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lmforge.classroom.agenda import AgendaNode, AgendaPage
from lmforge.errors import OutlineError

__all__ = [
    "ITEM_LINE",
    "PAGE_MARK",
    "OutlineError",
    "OutlineTree",
    "Section",
    "norm_title",
    "parse_trace",
    "short_description",
]

ITEM_LINE = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+•]|\d+[.)])\s+(?P<text>.*\S)\s*$")
PAGE_MARK = re.compile(r"^\**\s*P\s*(?P<n>\d+)\s*\**\s*(?:[:：.\-]|$)", re.I)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class Section:
    title: str
    children: list[Section | int] = field(default_factory=list)

    def pages(self) -> list[int]:
        out: list[int] = []
        for child in self.children:
            out.extend([child] if isinstance(child, int) else child.pages())
        return out

    def sections(self) -> list[Section]:
        return [c for c in self.children if isinstance(c, Section)]


def norm_title(title: str) -> str:
    return " ".join(_WORD.findall(title.lower()))


_SHOWN_TAGS = re.compile(r"\s*\((?:\d+ pages?|closed[^)]*)\)", re.I)


def _clean_title(text: str) -> str:
    """A section line's title, without markup or the tags the prompt adds to closed sections."""
    text = _SHOWN_TAGS.sub("", text)
    return text.strip().strip("*_`#").strip().rstrip(":：").strip().strip('"').strip()


class OutlineTree:
    """The outline while it grows: the root, its sections, and the open branch."""

    def __init__(self, root: str) -> None:
        self.root = Section(root)
        self.open: list[Section] = []  # root's child ... the node that received the last page

    def check(self, titles: list[str], page: int, max_depth: int = 3) -> tuple[int, list[str]]:
        """``(how many open levels the trace keeps, new titles)``; OutlineError when illegal."""
        if not titles:
            if page != 1:
                raise OutlineError(f"P{page} is not the cover, so it must go inside a section")
            return 0, []
        if len(titles) > max_depth:
            raise OutlineError(f"the path is {len(titles)} sections deep (at most {max_depth})")
        if any(PAGE_MARK.match(t) for t in titles):
            raise OutlineError(f"P{page} was put inside another page")
        kept = 0
        while (
            kept < len(titles)
            and kept < len(self.open)
            and norm_title(titles[kept]) == norm_title(self.open[kept].title)
        ):
            kept += 1
        new = titles[kept:]
        if new:
            parent = self.open[kept - 1] if kept else self.root
            if any(norm_title(new[0]) == norm_title(s.title) for s in parent.sections()):
                raise OutlineError(f"section '{new[0]}' is closed; pages must stay in order")
            if kept == 0 and self.open and len(self.open[0].pages()) < 2:
                raise OutlineError(
                    f"section '{self.open[0].title}' would keep a single page; add P{page} to it"
                )
        return kept, new

    def insert(self, kept: int, new: list[str], page: int) -> None:
        parent = self.open[kept - 1] if kept else self.root
        branch = self.open[:kept]
        for title in new:
            node = Section(title)
            parent.children.append(node)
            branch.append(node)
            parent = node
        parent.children.append(page)
        self.open = branch

    def place(self, titles: list[str], page: int, max_depth: int = 3) -> None:
        kept, new = self.check(titles, page, max_depth)
        self.insert(kept, new, page)

    def finish(self) -> None:
        """Repair what only the end reveals: a last section of one page joins the one before
        it; a lone one-page section takes the cover in."""
        tops = self.root.sections()
        if tops and len(tops[-1].pages()) == 1:
            if len(tops) > 1:
                tops[-2].children.extend(tops[-1].children)
                self.root.children.remove(tops[-1])
            elif self.root.children and self.root.children[0] == 1:
                self.root.children.remove(1)
                tops[0].children.insert(0, 1)

    def flatten(self) -> AgendaNode:
        """root -> top-level sections -> pages (descriptions are filled in by the caller)."""
        children: list[AgendaNode | AgendaPage] = []
        for child in self.root.children:
            if isinstance(child, int):
                children.append(AgendaPage(index=child))
            else:
                pages = [AgendaPage(index=i) for i in child.pages()]
                children.append(AgendaNode(title=child.title, children=pages))
        return AgendaNode(title=self.root.title, children=children)

    def lines(self, descriptions: list[str], shown_pages: int) -> list[dict]:
        """The outline as the prompt shows it: closed sections collapsed and tagged."""
        out = [{"depth": 0, "text": self.root.title, "closed": False}]
        self._lines(self.root, 1, descriptions, shown_pages, out)
        return out

    def _lines(self, node: Section, depth: int, desc: list[str], shown: int, out: list) -> None:
        open_ids = {id(s) for s in self.open}
        pages = [c for c in node.children if isinstance(c, int)]
        for child in node.children:
            if isinstance(child, int):
                if child in pages[-shown:]:
                    text = f"P{child}: {short_description(desc[child - 1])}"
                    out.append({"depth": depth, "text": text, "closed": False})
            elif id(child) in open_ids:
                out.append({"depth": depth, "text": child.title, "closed": False})
                self._lines(child, depth + 1, desc, shown, out)
            else:
                count = len(child.pages())
                text = f"{child.title} ({count} page{'s' * (count != 1)})"
                out.append({"depth": depth, "text": text, "closed": True})


def short_description(description: str, words: int = 10) -> str:
    """Placed pages are shown shortened: a model that copies the outline copies less."""
    parts = description.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")


def parse_trace(text: str, page: int, root: str) -> list[str]:
    """The section titles between the root and ``- P<page>:`` in a model's answer.

    Indentation decides nesting (any consistent width); lines that are not list items are
    ignored. Raises OutlineError when the page line is missing or the trace does not start at
    the root title.
    """
    items: list[tuple[int, str]] = []
    for line in text.replace("\t", "    ").splitlines():
        match = ITEM_LINE.match(line)
        if match:
            items.append((len(match.group("indent")), match.group("text")))
    target = next(
        (
            i
            for i, (_, t) in enumerate(items)
            if (m := PAGE_MARK.match(t)) and int(m.group("n")) == page
        ),
        None,
    )
    if target is None:
        raise OutlineError(f"the answer has no line '- P{page}: ...'")
    path: list[str] = []
    indent = items[target][0]
    for ind, item_text in reversed(items[:target]):
        if ind < indent:
            path.append(_clean_title(item_text))
            indent = ind
    path.reverse()
    if not path or not norm_title(path[0]).startswith(norm_title(root)):
        raise OutlineError(f"the path must start at the lecture title '{root}'")
    return path[1:]
