"""The one exception tree of lmforge: every error a user can meet is one of these.

The CLI turns ``InputError`` into one line and exit code 2, ``RecordsFailed`` into one line and
exit code 3, any other ``LMForgeError`` into one line and exit code 1 (``docs/exit-codes.md``);
anything outside the tree is a bug and keeps its traceback. Retry decisions
are made on the class alone, so every backend maps its failures onto the ``LLMError`` branch::

    LMForgeError
    ├── InputError              bad user input: file, line and field named in the message
    │   └── (classroom) DeckError, DeadlineError   a deck that is not a deck, or too big/slow
    ├── ConfigError             an impossible setting or model spec
    ├── ParseError              a model reply that could not be read (after the allowed re-asks)
    │   ├── ParseFailure        no JSON / rating / verdict found in the reply (pipeline.parse)
    │   ├── OutlineError        an outline step that breaks the outline rules (classroom)
    │   └── ChoiceError         an outline decision that is not one of the offered choices
    ├── StageError              a stage could not do its work for a reason other than parsing
    ├── KwargsError             IFEval instruction arguments that the checker cannot take
    ├── RecordsFailed           a run finished, outputs written, with failed records (exit 3)
    └── LLMError                anything that went wrong talking to a model
        ├── TransientError      worth retrying (bounded, with backoff)
        │   ├── RateLimitError          HTTP 429; carries Retry-After when the server sent it
        │   ├── ServerError             HTTP 5xx
        │   ├── LLMTimeoutError         no answer in time
        │   ├── LLMConnectionError      could not reach the server
        │   └── MalformedResponseError  unparseable body or null content
        └── PermanentError      retrying cannot help
            ├── AuthenticationError     HTTP 401/403
            ├── BadRequestError         HTTP 400/404/422 and other 4xx
            ├── ContextLengthError      the prompt does not fit the model's context
            └── ModelIntegrityError     model file missing or its checksum differs
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ChoiceError",
    "ConfigError",
    "ContextLengthError",
    "InputError",
    "KwargsError",
    "LLMConnectionError",
    "LLMError",
    "LLMTimeoutError",
    "LMForgeError",
    "MalformedResponseError",
    "ModelIntegrityError",
    "OutlineError",
    "ParseError",
    "ParseFailure",
    "PermanentError",
    "RateLimitError",
    "RecordsFailed",
    "ServerError",
    "StageError",
    "TransientError",
]


class LMForgeError(Exception):
    """Base of every error lmforge raises on purpose."""


class InputError(LMForgeError):
    """Bad user input; the message names the file, the line and the field when known."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        where = ""
        if self.path is not None:
            where = self.path + (f":{line}" if line is not None else "") + ": "
        what = f"field '{field}': " if field else ""
        super().__init__(f"{where}{what}{message}")

    @classmethod
    def from_validation(
        cls,
        exc: Exception,
        *,
        path: str | Path | None = None,
        note: str = "",
        default_field: str | None = None,
    ) -> InputError:
        """One line from a pydantic ``ValidationError``: its first problem and the field."""
        first = exc.errors()[0]  # type: ignore[attr-defined]
        field = ".".join(str(p) for p in first["loc"]) or default_field
        return cls(first["msg"] + note, path=path, field=field)


class ConfigError(LMForgeError):
    """A setting, model spec or option that cannot work."""


class ParseError(LMForgeError, ValueError):
    """A model reply that could not be read; ``raw`` keeps the text for the error row.

    Also a ``ValueError`` so that code written against the earlier bare ``ValueError`` parsers
    keeps catching it.
    """

    def __init__(self, message: str, raw: str | None = None) -> None:
        super().__init__(message)
        self.raw = raw


class ParseFailure(ParseError):
    """Model output that does not contain what the prompt asked for (JSON, a rating, a verdict).

    ``reason`` is the short cause counted in run summaries; ``detail`` says more.
    """

    def __init__(self, reason: str, raw: str, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason, raw)
        self.reason = reason
        self.detail = detail


class OutlineError(ParseError):
    """An outline answer the guards reject; the message says why (it is fed back on retry)."""


class ChoiceError(ParseError):
    """An outline decision that is not usable (the message is fed back on retry)."""


class StageError(LMForgeError):
    """A stage could not finish a record (no model given, nothing produced); never a crash."""


class KwargsError(LMForgeError, ValueError):
    """An IFEval kwarg an instruction cannot take; ``field`` names it (callers add file, line)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class RecordsFailed(LMForgeError):
    """A run that finished (outputs and summary written) with records that failed.

    Raised by the CLI after the command's output, so a script sees exit code 3 rather than 0;
    ``failed`` and ``total`` count the records, ``errors`` names the error-row files and
    ``runs`` the run folders whose rerun (``--out RUN_DIR``) retries exactly those records.
    """

    def __init__(
        self,
        failed: int,
        total: int | None = None,
        *,
        errors: list[str] | None = None,
        runs: list[str] | None = None,
    ) -> None:
        self.failed, self.total = failed, total
        self.errors, self.runs = list(errors or []), list(runs or [])
        of = f" of {total}" if total is not None else ""
        where = f"; error rows: {', '.join(self.errors)}" if self.errors else ""
        rerun = f"--out {self.runs[0]}" if len(self.runs) == 1 else "--out RUN_DIR"
        if len(self.runs) > 1:
            rerun += f" ({', '.join(self.runs)})"
        super().__init__(f"{failed}{of} records failed{where}; rerun with {rerun} to retry them")


class LLMError(LMForgeError):
    """A failure while talking to a model."""

    def __init__(self, message: str, *, status: int | None = None, raw: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.raw = raw


class TransientError(LLMError):
    """A failure that may go away if the same request is sent again."""


class RateLimitError(TransientError):
    """HTTP 429; ``retry_after`` is the server's wait hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(TransientError):
    """HTTP 5xx."""


class LLMTimeoutError(TransientError):
    """The server did not answer in time."""


class LLMConnectionError(TransientError):
    """The server could not be reached."""


class MalformedResponseError(TransientError):
    """The body was not the JSON we expected, or the completion content was null."""


class PermanentError(LLMError):
    """A failure that the same request will hit again."""


class AuthenticationError(PermanentError):
    """HTTP 401/403."""


class BadRequestError(PermanentError):
    """HTTP 4xx other than 401/403/429."""


class ContextLengthError(PermanentError):
    """The prompt is longer than the model's context window."""


class ModelIntegrityError(PermanentError):
    """A model file is missing or does not match its published checksum."""
