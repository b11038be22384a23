"""The ``lmforge`` command's entry point: the root group built from the verb tables
(:mod:`lmforge.cli` for the core, each system's ``cli`` module), and library errors turned into
one line and the documented exit code (``docs/exit-codes.md``).

Why apart from :mod:`lmforge.cli`: that module is the core's verb table; what runs a command
lives here, so the table stays a table.
"""

from __future__ import annotations

import sys

import click

from . import interrupts
from .errors import InputError, LMForgeError, RecordsFailed
from .verbs import LazyGroup, verb_group

__all__ = ["build_app", "main"]


def _system_group(module_name: str, name: str, help_text: str) -> click.Command:
    """A system's group from its ``cli`` module: ``VERBS`` (and ``GROUPS`` for sub-groups)."""
    import importlib

    module = importlib.import_module(module_name)
    return verb_group(name, help_text, module.VERBS, getattr(module, "GROUPS", None))


def build_app() -> LazyGroup:
    """The root group: the core verbs, then one lazily built group per declared system."""
    from .cli import GROUPS, HELP, VERBS
    from .systems import discover

    root = verb_group("lmforge", HELP, VERBS, GROUPS)
    for system in discover():
        if system.cli is not None:
            root.entries[system.name] = (
                system.help,
                lambda s=system: _system_group(s.cli, s.name, s.help),
            )
    return root


def _usage_error(exc: click.ClickException) -> None:
    """Usage errors as click shows them, with the unknown-option wording scripts grep for."""
    if isinstance(exc, click.exceptions.NoSuchOption):
        near = f" (did you mean {', '.join(exc.possibilities)}?)" if exc.possibilities else ""
        exc.message, exc.possibilities = f"No such option: {exc.option_name}{near}", None
    exc.show()
    sys.exit(exc.exit_code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: library errors become one line on stderr and a non-zero exit."""
    own = interrupts.install()
    try:
        code = build_app().main(args=argv, prog_name="lmforge", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        interrupts.exit_interrupted()
    except click.ClickException as exc:
        _usage_error(exc)
    except InputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except RecordsFailed as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(3)
    except LMForgeError as exc:
        sys.stderr.write(f"error: {type(exc).__name__}: {exc}\n")
        sys.exit(1)
    finally:
        if own:
            interrupts.uninstall()
    sys.exit(code if isinstance(code, int) else 0)
