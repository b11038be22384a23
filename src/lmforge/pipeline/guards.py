"""Garbage guards: cheap checks that catch what small models reply instead of an answer.

A guard is ``guard(reply, prompt_messages) -> reason | None``; :func:`~lmforge.pipeline.ask.ask`
re-asks a reply a guard rejects, exactly as one ``parse`` rejects, and the reason names the
guard so the run summary says what went wrong (``echoed the prompt``, not ``no JSON found``).

``empty`` and ``echo`` are on by default (no caller wants either); ``truncated`` and
``wrong_language(expected)`` are opt-in, because some callers keep text cut at ``max_tokens``
and most do not know which language to expect.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from lmforge.llm.types import Completion, Message

__all__ = ["Guard", "default_guards", "echo", "echoes", "empty", "truncated", "wrong_language"]

Guard = Callable[[Completion, list[Message]], "str | None"]

# a word, or one CJK character (CJK text has no spaces; one character is about a word)
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W_]+")


def empty(reply: Completion, messages: list[Message]) -> str | None:
    """A reply with nothing but white space."""
    return "empty reply" if not reply.text.strip() else None


def truncated(reply: Completion, messages: list[Message]) -> str | None:
    """A reply cut off at ``max_tokens`` (its JSON or last sentence is likely incomplete)."""
    return "truncated at max_tokens" if reply.finish_reason == "length" else None


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _last_user(messages: list[Message]) -> str:
    return next((m.text for m in reversed(messages) if m.role == "user"), "")


def echoes(*, n: int = 8, share: float = 0.6, quoted: Sequence[str] = ()) -> Guard:
    """A guard for replies that mostly repeat the prompt's last user message verbatim.

    A reply token counts as copied when it lies in an ``n``-token run that also occurs in the
    prompt; the reply is an echo when at least ``share`` of its tokens are copied. A quote of a
    sentence inside a real answer stays well under the share, and replies shorter than ``n``
    tokens are never flagged (a one-word answer may well be a word of the prompt). Linear in
    the lengths, so it is cheap next to a model call even for long-context prompts.

    ``quoted`` are passages the prompt hands the model as material (retrieved news, a
    background): runs that occur in them are not copies of the prompt, so an answer that
    grounds itself in its evidence word for word passes, while one that repeats the
    instructions or the question is still caught. Without it, retrieval-augmented steps lose
    exactly the answers that stay closest to their sources.
    """
    allowed = {g for text in quoted for g in _grams(_tokens(text), n)}

    def echo(reply: Completion, messages: list[Message]) -> str | None:
        said = _tokens(reply.text)
        if len(said) < n:
            return None
        grams = _grams(_tokens(_last_user(messages)), n) - allowed
        copied = [False] * len(said)
        for i in range(len(said) - n + 1):
            if tuple(said[i : i + n]) in grams:
                copied[i : i + n] = [True] * n
        return "echoed the prompt" if sum(copied) >= share * len(said) else None

    return echo


def _grams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


echo = echoes()
"""The default echo guard: 8-token runs covering 60% of the reply."""


def _detector() -> Callable[[str], str | None]:
    """Seeded langdetect, the shared copy (imported on first use: ``lmforge.text`` is not
    cheap to import, and most runs never check a language)."""
    from lmforge.text.lang import detect_language_or_none

    return detect_language_or_none


def wrong_language(
    expected: str,
    *,
    min_letters: int = 20,
    detect: Callable[[str], str | None] | None = None,
) -> Guard:
    """A guard for replies in another language than ``expected`` (an ISO code: ``en``, ``zh``).

    Detection is seeded langdetect (deterministic); codes compare on their first part, so
    ``zh`` accepts ``zh-cn`` and ``zh-tw``. Replies with fewer than ``min_letters`` letters,
    or that langdetect cannot place, pass: a short answer carries too little evidence.
    """
    want = expected.lower().split("-")[0]

    def language(reply: Completion, messages: list[Message]) -> str | None:
        if sum(ch.isalpha() for ch in reply.text) < min_letters:
            return None
        got = (detect or _detector())(reply.text)
        if got is None or got.lower().split("-")[0] == want:
            return None
        return f"wrong language: {got}, expected {expected}"

    return language


default_guards: tuple[Guard, ...] = (empty, echo)
