"""Read, step 2: the incremental outline builder and its flattening (spec §2.2 step 3).

Pages are placed one at a time. Each call shows the model the outline so far (closed sections
collapsed and tagged, only the last few pages of the open branch listed), the new page line
``- P<n>: <description>`` and the next pages as look-ahead. The model answers with the *trace*:
the outline lines from the root title down to the new page. That trace is checked by the guards
of the official builder and a few more that the official prompt states as rules only:

* the page line ``- P<n>:`` must be there (generation stops at that marker, which
  :func:`_restore_marker` puts back; the official builder stops at the next page's marker);
* the trace must start at the root title (the deck name);
* only the cover (page 1) may sit directly under the root;
* a page may not be nested under a page, and a closed section may not be reopened (order);
* a top-level section may not be closed while it holds a single page.

An illegal answer is retried through :func:`~lmforge.pipeline.ask.ask_result` (``retries``
times, sampled with a fresh ``sample_index`` so the call cache does not hand back the same
answer, and told what was wrong); a model error is not re-asked. When the model keeps
failing, the page is placed by :func:`rule_path`, a deterministic rule (consecutive pages join
the open section until it holds ``min_section_pages``, then while their titles look alike, up
to ``max_section_pages``). After ``give_up_after`` consecutive fallbacks the model is no longer
asked. Finally each top-level section is flattened, so the agenda is root -> sections -> pages.

The model may also answer the official way, copying the whole updated outline: the parser reads
the page's ancestors wherever the page line is, so both answers are accepted.

Those are ``trace`` answers (``OutlineConfig.answer="trace"``). The default, ``choice``, asks
only for the decision the rules leave open, under a JSON schema (:mod:`.outline_choice`), and
places without a call the pages the rules force (the cover, the second page of a section).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from lmforge.classroom.agenda import AgendaNode, AgendaPage
from lmforge.classroom.deck import Deck
from lmforge.classroom.prepare.outline_choice import (
    choice_messages,
    choice_schema,
    parse_choice,
)
from lmforge.classroom.prepare.outline_tree import (
    ITEM_LINE,
    PAGE_MARK,
    OutlineError,
    OutlineTree,
    norm_title,
    parse_trace,
    short_description,
)
from lmforge.errors import LLMError
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig, Message
from lmforge.pipeline.ask import ReaskRule, ask_result
from lmforge.pipeline.guards import empty
from lmforge.pipeline.prompts import load_prompt

__all__ = [
    "OutlineConfig",
    "OutlineError",
    "OutlineStats",
    "OutlineTree",
    "build_outline",
    "parse_trace",
    "rule_outline",
    "rule_path",
]


class OutlineConfig(BaseModel):
    """How the outline is built."""

    answer: Literal["choice", "trace"] = "choice"
    """``choice``: one schema-constrained decision per open page (small models manage it);
    ``trace``: the official answer, the outline path down to the page."""
    retries: int = Field(2, ge=0)
    """Extra attempts after an illegal answer, before the rule places the page."""
    give_up_after: int = Field(4, ge=1)
    """Consecutive rule-placed pages after which the model is not asked any more."""
    lookahead: int = Field(3, ge=0)
    """Following pages shown as context (official: 3)."""
    shown_pages: int = Field(4, ge=1)
    """Pages of the open branch listed in the prompt (the official prompt shows the last few)."""
    min_section_pages: int = Field(3, ge=2)
    """The rule fills a section to this many pages before it may open the next one."""
    max_section_pages: int = Field(8, ge=2)
    """The rule opens a new section after this many pages; so do ``choice`` answers."""
    max_depth: int = Field(3, ge=1)
    """Section levels a trace may have below the root (deeper answers are illegal)."""
    generation: GenerateConfig = GenerateConfig(max_tokens=128)
    """Sampling of the first attempt; retries use ``retry_temperature``."""
    retry_temperature: float = 0.7


@dataclass
class OutlineStats:
    model_pages: int = 0
    retries: int = 0
    fallback_pages: int = 0
    forced_pages: int = 0
    """Pages the rules place alone in ``choice`` mode (the cover, a section's second page)."""
    problems: list[str] = field(default_factory=list)
    gave_up_at: int | None = None


_WORD = re.compile(r"[a-z0-9]+")


def _stems(text: str) -> set[str]:
    """Content words with a plural "s" cut (crude, but "Loops" and "Loop syntax" must meet)."""
    words = (w for w in _WORD.findall(text.lower()) if len(w) > 2)
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words}


def _similar(a: str, b: str) -> bool:
    wa, wb = _stems(a), _stems(b)
    if not wa or not wb:
        return False
    return wa <= wb or wb <= wa or len(wa & wb) / len(wa | wb) >= 0.34


def _page_title(deck: Deck, page: int) -> str:
    return " ".join(deck.page(page).title.split())


def rule_path(
    tree: OutlineTree, deck: Deck, page: int, min_pages: int = 3, max_pages: int = 8
) -> list[str]:
    """Where the deterministic rule puts ``page``: the titles of its sections (maybe new).

    The open section takes the page while it has fewer than ``min_pages`` pages, or while the
    page's title looks like the section's or the previous page's and it has fewer than
    ``max_pages``; otherwise the page opens a section named after its title ("Part k" when it
    has none). Page 1 is the cover.
    """
    if page == 1 and not tree.root.children:
        return []
    branch = [s.title for s in tree.open]
    title = _page_title(deck, page)
    if not tree.open:
        return [_unique(tree, title)]
    size = len(tree.open[0].pages())
    if size < min(min_pages, max_pages):
        return branch
    last = _page_title(deck, tree.open[0].pages()[-1])
    alike = _similar(title, tree.open[0].title) or _similar(title, last)
    if size < max_pages and (alike or page == len(deck.pages)):
        return branch
    return [_unique(tree, title)]


def _unique(tree: OutlineTree, title: str) -> str:
    taken = {norm_title(s.title) for s in tree.root.sections()}
    title = title or f"Part {len(taken) + 1}"
    candidate, k = title, 2
    while norm_title(candidate) in taken or PAGE_MARK.match(candidate):
        candidate, k = f"{title} ({k})", k + 1
    return candidate


def rule_outline(
    deck: Deck, descriptions: list[str], config: OutlineConfig | None = None
) -> AgendaNode:
    """The whole outline by the rule alone: no model."""
    config = config or OutlineConfig()
    tree = OutlineTree(deck.name)
    for page in deck.pages:
        path = rule_path(tree, deck, page.index, config.min_section_pages, config.max_section_pages)
        tree.place(path, page.index)
    tree.finish()
    return _described(tree.flatten(), descriptions)


def _described(root: AgendaNode, descriptions: list[str]) -> AgendaNode:
    for node in [root, *(c for c in root.children if isinstance(c, AgendaNode))]:
        for child in node.children:
            if isinstance(child, AgendaPage):
                child.description = descriptions[child.index - 1]
    return root


def _page_lines(
    deck: Deck, page: int, descriptions: list[str], config: OutlineConfig
) -> dict[str, Any]:
    """The new page's line and the look-ahead lines, as both kinds of prompt show them."""
    after = range(page + 1, min(len(deck.pages), page + config.lookahead) + 1)
    return {
        "page_line": f"- P{page}: {descriptions[page - 1]}",
        "lookahead": [f"- P{i}: {descriptions[i - 1]}" for i in after],
    }


def _request(
    tree: OutlineTree,
    deck: Deck,
    page: int,
    descriptions: list[str],
    config: OutlineConfig,
    problem: str | None,
) -> list[Message]:
    messages = load_prompt("lmforge.classroom", "outline_step").messages(
        root=deck.name,
        outline=tree.lines(descriptions, config.shown_pages),
        **_page_lines(deck, page, descriptions, config),
        problem=problem,
    )
    return [Message(**m) for m in messages]


def _restore_marker(text: str, page: int) -> str:
    """Put back the page marker the stop string cut off.

    Generation stops as soon as the model writes ``P<n>:``: everything the guards need is
    known by then, and echoing the page's description would cost more tokens than the trace.
    """
    lines = text.rstrip("\n").split("\n")
    if lines and ITEM_LINE.match(lines[-1] + f" P{page}:") and not ITEM_LINE.match(lines[-1]):
        lines[-1] = lines[-1].rstrip() + f" P{page}:"
    return "\n".join(lines)


def _forced(tree: OutlineTree, deck: Deck, page: int, config: OutlineConfig) -> list[str] | None:
    """Where the rules alone put ``page`` (``choice`` mode), or None when there is a choice:
    the cover, a section's second page, and a new section (named after the page) once the open
    one holds ``max_section_pages`` (small models otherwise keep one section for the deck)."""
    if page == 1 and not tree.root.children:
        return []
    if tree.open and len(tree.open[0].pages()) < 2:
        return [tree.open[0].title]
    if tree.open and len(tree.open[0].pages()) >= config.max_section_pages:
        return [_unique(tree, _page_title(deck, page))]
    return None


def _choice_request(
    tree: OutlineTree,
    deck: Deck,
    page: int,
    descriptions: list[str],
    config: OutlineConfig,
    problem: str | None,
) -> list[Message]:
    current = tree.open[0] if tree.open else None
    closed = [(s.title, len(s.pages())) for s in tree.root.sections() if s is not current]
    shown = current.pages()[-config.shown_pages :] if current else []
    return choice_messages(
        root=deck.name,
        sections=closed,
        open_title=current.title if current else None,
        open_pages=[f"- P{i}: {short_description(descriptions[i - 1])}" for i in shown],
        **_page_lines(deck, page, descriptions, config),
        problem=problem,
    )


def _step(
    tree: OutlineTree,
    deck: Deck,
    page: int,
    descriptions: list[str],
    config: OutlineConfig,
) -> tuple[Callable[[str | None], list[Message]], GenerateConfig, Callable[[str], list[str]]]:
    """``(prompt(problem), generation, parse)`` of one placement; ``parse`` returns the legal
    titles above ``page`` or raises OutlineError/ChoiceError (the reason is fed back)."""
    if config.answer == "trace":
        gen = config.generation.model_copy(update={"stop": (f"P{page}:", f"P{page + 1}:")})

        def prompt(problem: str | None) -> list[Message]:
            return _request(tree, deck, page, descriptions, config, problem)

        def titles_of(text: str) -> list[str]:
            return parse_trace(_restore_marker(text, page), page, deck.name)

    else:
        open_title = tree.open[0].title if tree.open else None
        gen = config.generation.model_copy(update={"json_schema": choice_schema(open_title)})

        def prompt(problem: str | None) -> list[Message]:
            return _choice_request(tree, deck, page, descriptions, config, problem)

        def titles_of(text: str) -> list[str]:
            new = parse_choice(text, open_title)
            if new is None and open_title is not None:
                return [open_title]
            return [_unique(tree, new or _page_title(deck, page))]

    def parse(text: str) -> list[str]:
        titles = titles_of(text)
        tree.check(titles, page, config.max_depth)
        return titles

    return prompt, gen, parse


async def _ask(
    llm: LLM,
    tree: OutlineTree,
    deck: Deck,
    page: int,
    descriptions: list[str],
    config: OutlineConfig,
    stats: OutlineStats,
) -> list[str] | None:
    """The model's legal placement of ``page``, or None after the last failed attempt.

    Each re-ask is told what was wrong with the previous answer (``problem`` in the prompt)
    and sampled at ``retry_temperature``. Only the empty guard runs: the official answer
    copies the whole outline, which the echo guard would take for an echoed prompt.
    """
    prompt, gen, parse = _step(tree, deck, page, descriptions, config)
    result = await ask_result(
        llm,
        prompt(None),
        parse,
        config=gen,
        attempts=config.retries + 1,
        reask=ReaskRule(temperature=config.retry_temperature, bump_seed=True),
        guards=(empty,),
        feedback=lambda _messages, _reply, reason: prompt(reason),
    )
    stats.retries += result.attempts - 1
    problems = list(result.reasons)
    if result.exception is not None:
        if not isinstance(result.exception, LLMError):
            raise result.exception
        problems.append(str(result.exception))
    stats.problems.extend(f"P{page} attempt {n}: {why}" for n, why in enumerate(problems, 1))
    return result.value if result.ok else None


async def build_outline(
    deck: Deck,
    descriptions: list[str],
    llm: LLM | None,
    config: OutlineConfig | None = None,
    *,
    on_page: Callable[[int], None] | None = None,
) -> tuple[AgendaNode, OutlineStats]:
    """The flattened agenda tree (pages carry their descriptions, no functions yet)."""
    config = config or OutlineConfig()
    tree, stats, streak = OutlineTree(deck.name), OutlineStats(), 0
    for page in (p.index for p in deck.pages):
        titles = forced = _forced(tree, deck, page, config) if config.answer == "choice" else None
        if forced is not None:
            stats.forced_pages += llm is not None
        elif llm is not None and stats.gave_up_at is None:
            titles = await _ask(llm, tree, deck, page, descriptions, config, stats)
        if titles is None:
            titles = rule_path(tree, deck, page, config.min_section_pages, config.max_section_pages)
            stats.fallback_pages += llm is not None
            streak += 1
            if llm is not None and streak >= config.give_up_after and stats.gave_up_at is None:
                stats.gave_up_at = page
        elif forced is None:
            stats.model_pages += 1
            streak = 0
        tree.place(titles, page, config.max_depth)
        if on_page is not None:
            on_page(page)
    tree.finish()
    return _described(tree.flatten(), descriptions), stats
