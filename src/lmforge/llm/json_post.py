"""One JSON POST through a model backend, for the endpoints the chat protocol has no method
for (``completions`` for prompt scoring): retried like a chat request and, behind an
:class:`~lmforge.llm.endpoints.EndpointPool`, routed and failed over like one.

Apart from the pool so that ``endpoints.py`` stays the routing and health logic; it re-exports
:func:`post_json`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from lmforge.errors import LLMTimeoutError, MalformedResponseError

from .openai_compat import OpenAICompatLLM
from .openai_errors import error_from_status
from .openai_format import json_object
from .transport import read_text

if TYPE_CHECKING:
    from .endpoints import EndpointPool

__all__ = ["post_json"]


async def _post_once(
    llm: OpenAICompatLLM, path: str, body: dict[str, Any], timeout: float
) -> dict[str, Any]:
    """One POST of a JSON body, its JSON reply read whole; failures mapped onto the tree as
    for chat requests (a refused connection is an ``LLMConnectionError``, a cut body is
    malformed, a non-2xx status its class)."""
    url = f"{llm.base_url}/{path}"
    try:
        async with asyncio.timeout(timeout):
            response = await llm._send("POST", path, timeout, body)
            try:
                text = await read_text(response)
            except httpx.TimeoutException as err:
                raise LLMTimeoutError(f"timed out reading the answer from {url}") from err
            except (httpx.TransportError, httpx.DecodingError) as err:
                raise MalformedResponseError(f"the answer from {url} was cut off: {err}") from err
            finally:
                await response.aclose()
    except TimeoutError as err:
        raise LLMTimeoutError(f"no answer from {url} within {timeout}s") from err
    if not response.is_success:
        raise error_from_status(response.status_code, text, response.headers)
    return json_object(text)


async def post_json(
    llm: OpenAICompatLLM | EndpointPool,
    path: str,
    body: dict[str, Any],
    *,
    timeout: float = 600.0,
    max_retries: int | None = None,
) -> dict[str, Any]:
    """POST ``body`` to ``path`` under the backend's base URL (``completions`` for prompt
    scoring) and return the JSON reply: retried like a chat request and, for a pool, routed
    and failed over like one. For endpoints the chat protocol has no method for."""
    from .endpoints import EndpointPool  # the pool imports this module (post_json re-exported)

    if isinstance(llm, EndpointPool):
        pool = llm
        reply, _ = await pool.retry.call(
            lambda: pool._attempt(lambda one: _post_once(one, path, body, timeout)),
            max_retries=max_retries,
        )
        return reply
    reply, _ = await llm.retry.call(
        lambda: _post_once(llm, path, body, timeout), max_retries=max_retries
    )
    return reply
