"""Read, step 1: one plain-language description per page (spec §2.2 step 2).

Pages are described in deck order because each call sees the previous three pages (their text
and the descriptions already written) as earlier chat turns, as in MAIC-Core's
``gen_description``. As in the official stage, a vision model (``LLM.supports_images``) also
gets the page's rendered image with the current page's turn (earlier pages stay text: three
extra images would multiply the prompt for little gain); a text model describes the page from
its text and speaker notes. Each page is asked through :func:`~lmforge.pipeline.ask.ask_result`
with the shared guards: an answer that is empty, echoes the prompt or is only markup is asked
again under :data:`DESCRIBE_REASK` (``retries`` times; none by default, one in ``prepare``),
then falls back to :func:`extract_description` (title plus the first lines of the page), so a
bad answer never stops a preparation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from lmforge.classroom.deck import Deck, Page
from lmforge.errors import LLMError, ParseFailure
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig, ImagePart, Message, TextPart
from lmforge.pipeline.ask import AskResult, ReaskRule, ask_result
from lmforge.pipeline.prompts import load_prompt
from lmforge.text.split import split_sentences

__all__ = [
    "CONTEXT_PAGES",
    "DESCRIBE_REASK",
    "PAGE_CHARS",
    "answer_or_none",
    "clean_description",
    "describe_pages",
    "extract_description",
    "nonempty",
    "page_message",
    "page_text",
    "supports_images",
]

CONTEXT_PAGES = 3
"""Earlier pages each call sees (the official context window)."""

DESCRIBE_REASK = ReaskRule(temperature=0.7, bump_seed=True)
"""Re-asks of a page description sample at 0.7 at least (a greedy model would give the same
unusable answer again), each with its own sample index and seed."""

T = TypeVar("T")

_MARKUP = re.compile(r"^\s*(?:[#>*\-]+\s*)+|[*_`]{2,}")
_LABEL = re.compile(r"^\s*(?:description|summary)(?: of (?:slide|page) \d+)?\s*[:：]\s*", re.I)


def supports_images(llm: LLM | None) -> bool:
    """Whether page images can be sent to this model."""
    return llm is not None and bool(getattr(llm, "supports_images", False))


def page_message(turn: dict[str, str], page: Page, with_image: bool) -> Message:
    """A page's user turn; with the page image in front of its text when asked and rendered."""
    if not with_image or page.image is None:
        return Message(**turn)
    parts = (ImagePart.from_file(page.image), TextPart(text=turn["content"]))
    return Message(role=turn["role"], content=parts)


PAGE_CHARS = 1500
"""Default characters of a page's text per prompt."""


def page_text(page: Page, limit: int = PAGE_CHARS) -> str:
    """The page's text with blank lines squeezed, cut at ``limit`` characters (a slide full of
    code must not blow up a 0.5B model's context)."""
    lines = [line.strip() for line in page.text.splitlines() if line.strip()]
    text = "\n".join(lines)
    return text if len(text) <= limit else text[:limit].rstrip() + " ..."


def extract_description(page: Page, max_words: int = 40) -> str:
    """A description without a model: the title, then the first lines of the body.

    This is the offline stand-in of spec §5.2 ("first sentences + title") and the fallback when
    the model's answer is unusable.
    """
    title = page.title.strip()
    body = [line.strip() for line in page.text.splitlines() if line.strip()]
    if body and title and body[0] == title:
        body = body[1:]
    words = " ".join(body).split()
    rest = " ".join(words[:max_words]) + (" ..." if len(words) > max_words else "")
    if title and rest:
        return f"{title}: {rest}"
    return title or rest or f"Page {page.index} (no text)"


def clean_description(text: str, max_sentences: int = 3) -> str:
    """One paragraph of at most ``max_sentences`` sentences, without labels or markup; ""
    when nothing is left."""
    lines = [_MARKUP.sub("", line).strip() for line in text.strip().splitlines()]
    joined = " ".join(line for line in lines if line)
    joined = _LABEL.sub("", joined).strip().strip('"').strip()
    if not joined:
        return ""
    sentences = [s.text for s in split_sentences(joined)]
    return " ".join(sentences[:max_sentences]).strip()


def nonempty(clean: Callable[[str], str], what: str) -> Callable[[str], str]:
    """A parse step for :func:`~lmforge.pipeline.ask.ask_result`: ``clean(text)``, rejected
    (so re-asked, then left to the fallback) when nothing is left of it."""

    def read(text: str) -> str:
        cleaned = clean(text)
        if not cleaned:
            raise ParseFailure(f"no {what} left after cleaning", text)
        return cleaned

    return read


def answer_or_none(result: AskResult[T]) -> T | None:
    """The accepted value, or None when every reply was rejected or the model failed (after the
    backend's own retries): the caller's fallback takes over. Any other exception is a bug and
    propagates."""
    if result.exception is not None and not isinstance(result.exception, LLMError):
        raise result.exception
    return result.value if result.ok else None


def _turn(
    deck: Deck, page: Page, image: bool = False, chars: int = PAGE_CHARS
) -> list[dict[str, str]]:
    prompt = load_prompt("lmforge.classroom", "describe_page")
    return prompt.messages(
        deck_name=deck.name,
        index=page.index,
        title=page.title,
        text=page_text(page, chars),
        notes=page.notes.strip() or None,
        image=image,
    )


def _messages(
    deck: Deck,
    index: int,
    descriptions: list[str],
    images: bool,
    chars: int = PAGE_CHARS,
    context: int = CONTEXT_PAGES,
) -> list[Message]:
    """System, then (page, description) turns for up to three earlier pages, then the page."""
    page = deck.page(index)
    with_image = images and page.image is not None
    current = _turn(deck, page, with_image, chars)
    messages = [Message(**current[0])]
    for earlier in range(max(1, index - context), index):
        messages.append(Message(**_turn(deck, deck.page(earlier), chars=chars)[-1]))
        messages.append(Message(role="assistant", content=descriptions[earlier - 1]))
    messages.append(page_message(current[-1], page, with_image))
    return messages


async def describe_pages(
    deck: Deck,
    llm: LLM | None,
    config: GenerateConfig | None = None,
    *,
    on_page: Callable[[int], None] | None = None,
    images: bool = True,
    page_chars: int = PAGE_CHARS,
    context_pages: int = CONTEXT_PAGES,
    retries: int = 0,
) -> tuple[list[str], int]:
    """Descriptions of every page in order, and how many fell back to the extractive one.

    ``llm=None`` describes every page extractively (no model at all). Page images go to a
    vision model unless ``images`` is false; each page's text is cut at ``page_chars`` and
    ``context_pages`` earlier pages are shown (official: 3). A rejected answer is asked again
    ``retries`` times before the page falls back.
    """
    config = config or GenerateConfig(max_tokens=96)
    images = images and supports_images(llm)
    read = nonempty(clean_description, "description")
    descriptions: list[str] = []
    fallbacks = 0
    for page in deck.pages:
        text = None
        if llm is not None:
            messages = _messages(deck, page.index, descriptions, images, page_chars, context_pages)
            result = await ask_result(
                llm, messages, read, config=config, attempts=retries + 1, reask=DESCRIBE_REASK
            )
            text = answer_or_none(result)
        if not text:
            fallbacks += llm is not None
            text = extract_description(page)
        descriptions.append(text)
        if on_page is not None:
            on_page(page.index)
    return descriptions, fallbacks
