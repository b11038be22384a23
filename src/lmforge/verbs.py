"""Commands generated from typed configs: a verb is (config class, library function), declared in
a table; this module turns each into a click command.

Why a generator and not hand-written options: a config field's docstring is its ``--help`` (one
source of truth, no drift), every field is an option without being declared twice, and the
shared options (``--config``, ``--set``, ``--out``, ``--quiet``) are added in one place. Why click
rather than Typer's decorators: Typer builds commands from function signatures, which a table of
configs does not have, and Typer >= 0.2x runs on a private copy of click, so a lazily loaded group
would need its private API; click is what Typer runs on, and its lazy-group pattern keeps
``lmforge --help`` from importing any system (``docs/cli.md`` has the measurements).

Option names: a field ``faithful_quirks`` is ``--faithful-quirks``; a nested field
``generation.max_tokens`` is ``--generation.max-tokens``; a verb may add short or legacy spellings
(``aliases={"--max-tokens": "generation.max_tokens"}``). Booleans are ``--x/--no-x``. Values
given on the command line override ``--set key=value``, which overrides ``--config FILE``.
Fields whose type has no option form (mappings, nested lists of models) are reachable through
``--set``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from .config_options import config_fields, field_argument, field_option, option_name

__all__ = ["LazyGroup", "Verb", "build_command", "resolve"]

SHORT = {"model": "-m", "input": "-i", "output": "-o"}
"""Short spellings every verb gets for these top-level fields."""
GENERATION_SHORT = ("max_tokens", "temperature", "seed")
"""``generation.X`` fields every verb also takes as ``--X``, unless the config has its own ``X``."""
SHARED_LAST = ("concurrency", "limit", "shard", "executor", "ray_address", "ray_actors")
"""The shared run options (``pipeline.jobs.JobConfig``), listed after a command's own fields."""


@dataclass(frozen=True)
class Verb:
    """One command: ``name`` runs ``run(config, [out=, quiet=])`` and prints what it returns."""

    name: str
    run: str
    """``module:function``: the library function of the same work (Python users call it)."""
    help: str
    """One line for the group's command list (the function's docstring is the long help)."""
    config: str | None = None
    """``module:Class``: the pydantic config whose fields become options."""
    args: tuple[str, ...] = ()
    """Config fields taken as positional arguments, in order."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Extra option spellings -> config field path (``"--max-tokens": "generation.max_tokens"``)."""
    show: str | None = None
    """``module:function`` turning the result into stdout lines; default: ``key: value`` lines."""


def resolve(target: str) -> Any:
    module, _, name = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _shared_options(fn: Callable[..., Any], has_config: bool) -> list[click.Option]:
    wanted = inspect.signature(fn).parameters
    opts = []
    if has_config:
        opts += [
            click.Option(
                ["--config", "-c", "_config"],
                type=click.Path(path_type=Path),
                help="YAML config; --set and the options override it.",
            ),
            click.Option(
                ["--set", "_set"], multiple=True, help="Override a config key: key.sub=value."
            ),
        ]
    if "out" in wanted:
        opts.append(
            click.Option(
                ["--out", "_out"],
                type=click.Path(path_type=Path),
                help="Run directory (reuse one to resume).",
            )
        )
    if "quiet" in wanted:
        opts.append(click.Option(["--quiet", "-q", "_quiet"], is_flag=True, help="No progress."))
    return opts


# --------------------------------------------------------------------------- commands


def _emit(result: Any, show: Callable[[Any], Iterable[str]] | None) -> None:
    lines: Iterable[str]
    if show is not None:
        lines = show(result) or ()
    elif result is None:
        lines = ()
    elif isinstance(result, str):
        lines = [result]
    elif isinstance(result, Mapping):
        lines = [f"{k}: {v}" for k, v in result.items() if not isinstance(v, Mapping | list)]
    else:
        lines = [str(line) for line in result]
    for line in lines:
        click.echo(line)


def _values(given: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    """Config paths -> values given; repeated text options also split on commas
    (``--domains chat,code`` and ``--domains chat --domains code`` mean the same)."""
    values: dict[str, Any] = {}
    for dest, value in given.items():
        if value is None or value == ():
            continue
        if isinstance(value, tuple):
            value = [p for v in value for p in (v.split(",") if isinstance(v, str) else [v]) if p]
        values[keys[dest]] = value
    return values


def _load(cls: type, path: Any, sets: list[str], values: dict[str, Any]) -> Any:
    """The config; a bad value given as an option names that option, not only the field."""
    from lmforge.config import load_config
    from lmforge.errors import InputError

    try:
        return load_config(cls, path, sets, **values)
    except InputError as exc:
        field = exc.field or ""
        given = [p for p in values if field == p or field.startswith(f"{p}.")]
        if given and exc.path is None:
            raise InputError(f"{option_name(given[0])}: {exc}") from None
        raise


def _check_environment() -> None:
    """A bad ``LMFORGE_*`` value stops every command at once, in one line (exit 2), rather
    than only the commands that happen to read it, and only after some of their work."""
    from lmforge.config import get_settings
    from lmforge.inputs import input_limits

    get_settings()
    input_limits()


def _callback(verb: Verb, fn: Callable[..., Any], cls: type | None, keys: dict[str, str]):
    def run(**given: Any) -> None:
        runtime = {
            k[1:]: given.pop(k) for k in ("_out", "_quiet") if k in given
        }  # shared run options that are not config
        path, sets = given.pop("_config", None), list(given.pop("_set", None) or ())
        _check_environment()
        values = _values(given, keys)
        args = () if cls is None else (_load(cls, path, sets, values),)
        if "out" not in runtime:  # no run folder: nothing to watch
            _emit(fn(*args, **runtime), resolve(verb.show) if verb.show else None)
            return
        _watched(lambda: fn(*args, **runtime), resolve(verb.show) if verb.show else None)

    return run


def _watched(call: Callable[[], Any], show: Callable[[Any], Iterable[str]] | None) -> None:
    """Run a command that owns a run folder and end it honestly: its output first, then
    ``RecordsFailed`` (exit 3) if a run it made finished with failed records; on Ctrl-C, what
    was kept and how to resume, on stderr, before the interrupt goes on (exit 130)."""
    from lmforge.pipeline.summary import watch_runs

    with watch_runs() as watch:
        try:
            result = call()
        except KeyboardInterrupt:
            click.echo("\n".join(watch.interrupted()), err=True)
            raise
    _emit(result, show)
    failed = watch.failures()
    if failed is not None:
        raise failed


def build_command(verb: Verb) -> click.Command:
    """The click command of ``verb``: positional fields, one option per field, shared options."""
    fn = resolve(verb.run)
    cls = resolve(verb.config) if verb.config else None
    fields = list(config_fields(cls)) if cls is not None else []
    fields.sort(key=lambda f: f.path in SHARED_LAST)  # the command's own fields first
    hidden = set(getattr(cls, "cli_hidden", ()))
    if getattr(cls, "local_only", False):
        hidden |= {"executor", "ray_address", "ray_actors"}
    if not getattr(cls, "uses_model", True):
        hidden.add("model")
    fields = [f for f in fields if f.path not in hidden]
    by_path = {f.path: f for f in fields}
    extra: dict[str, list[str]] = {}
    for spelling, path in verb.aliases.items():
        extra.setdefault(path, []).append(spelling)
    for name, short in SHORT.items():
        if name in by_path and short not in verb.aliases:
            extra.setdefault(name, []).append(short)
    for name in GENERATION_SHORT:
        flag = option_name(name)
        if f"generation.{name}" in by_path and name not in by_path and flag not in verb.aliases:
            extra.setdefault(f"generation.{name}", []).append(flag)
    params: list[click.Parameter] = []
    keys: dict[str, str] = {}
    for index, name in enumerate(verb.args):
        info = cls.model_fields.get(name.split(".")[0]) if cls else None
        required = bool(info and info.is_required())
        params.append(field_argument(by_path[name], index, required))
        keys[f"f{index}"] = name
    for index, f in enumerate(fields, start=len(verb.args)):
        if f.path in verb.args:
            continue
        param = field_option(f, index, extra.get(f.path, []))
        if param is not None:
            params.append(param)
            keys[f"f{index}"] = f.path
    params += _shared_options(fn, cls is not None)
    doc = inspect.getdoc(fn) or verb.help
    return click.Command(
        verb.name.rpartition(" ")[2],
        callback=_callback(verb, fn, cls, keys),
        params=params,
        help=doc,
        short_help=verb.help,
    )


class LazyGroup(click.Group):
    """A group whose commands are built on first use; listing them needs only their help lines.

    ``entries`` maps a name to (one-line help, loader); a loader returns a click command.
    """

    def __init__(
        self, name: str, entries: dict[str, tuple[str, Callable[[], click.Command]]], **kw: Any
    ) -> None:
        super().__init__(name=name, no_args_is_help=True, **kw)
        self.entries = entries
        self._built: dict[str, click.Command] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.entries)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.entries:
            return None
        if name not in self._built:
            self._built[name] = self.entries[name][1]()
        return self._built[name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_line) for name, (help_line, _) in self.entries.items()]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def verb_group(
    name: str, help_text: str, verbs: Iterable[Verb], groups: Mapping[str, str] | None = None
) -> LazyGroup:
    """A group of verbs; a verb named ``"cache stats"`` lands in the sub-group ``cache``, whose
    help line comes from ``groups``."""
    entries: dict[str, tuple[str, Callable[[], click.Command]]] = {}
    nested: dict[str, list[Verb]] = {}
    for verb in verbs:
        head, _, rest = verb.name.partition(" ")
        if rest:
            nested.setdefault(head, []).append(verb)
        else:
            entries[head] = (verb.help, lambda v=verb: build_command(v))
    for head, members in nested.items():
        sub_help = (groups or {}).get(head, "")
        members = [replace(m, name=m.name.partition(" ")[2]) for m in members]
        entries[head] = (sub_help, lambda h=head, s=sub_help, m=members: verb_group(h, s, m))
    return LazyGroup(name, entries, help=help_text)
