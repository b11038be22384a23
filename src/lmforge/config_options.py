"""Config fields as click parameters: the part of the CLI generator that reads pydantic models.

A field's help is its docstring (the string literal under ``name: type = ...``), read from the
class source, because pydantic leaves it out of ``description`` unless a model opts in. Types map
to click types; a type with no option form (mappings, lists of models) returns None and stays
reachable through ``--set``.
"""

from __future__ import annotations

import ast
import enum
import functools
import inspect
import operator
import textwrap
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import click

__all__ = ["ConfigField", "config_fields", "field_argument", "field_option", "option_name"]


# --------------------------------------------------------------------------- field docs


@lru_cache(maxsize=256)
def _docstrings(cls: type) -> dict[str, str]:
    """Attribute docstrings (the string literal under ``name: type = ...``) of a class and its
    bases: pydantic leaves them out of ``description`` unless a model opts in."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node, nxt in zip(body, body[1:], strict=False):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                docs[node.target.id] = " ".join(inspect.cleandoc(nxt.value.value).split())
    return docs


def _help(cls: type, name: str, info: Any) -> str:
    return info.description or _docstrings(cls).get(name, "")


# --------------------------------------------------------------------------- types


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type without ``None``, whether None was allowed)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            return _unwrap(args[0])[0], optional  # ``Annotated[Path, Reads(...)] | None``
        return functools.reduce(operator.or_, args), optional
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation, False


def _is_model(tp: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(tp, type) and issubclass(tp, BaseModel)


_SCALARS = {int: click.INT, float: click.FLOAT, str: click.STRING}


def _click_type(tp: Any) -> tuple[Any, bool] | None:
    """(click type, multiple) for a field type, or None when it has no option form."""
    if tp in _SCALARS:
        return _SCALARS[tp], False
    if tp is Path or (isinstance(tp, type) and issubclass(tp, Path)):
        return click.Path(path_type=Path), False
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return click.Choice([str(m.value) for m in tp]), False
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        if all(isinstance(a, str) for a in args):
            return click.Choice(list(args)), False
        return click.STRING, False
    if origin in (list, set, frozenset) or (origin is tuple and args[-1:] == (Ellipsis,)):
        item = _unwrap(args[0])[0] if args else str
        inner = _click_type(item)
        if inner is None or inner[1]:
            return None
        # items other than paths arrive as text so "a,b" can be split (the model converts)
        return (inner[0] if isinstance(inner[0], click.Path) else click.STRING), True
    if origin is tuple or origin in (typing.Union, types.UnionType):
        return click.STRING, False  # shards ("i/n") and unions: the model's validators parse
    return None


# --------------------------------------------------------------------------- options


@dataclass
class ConfigField:
    path: str
    tp: Any
    help: str
    default: Any


def _nested_defaults(info: Any) -> Any:
    """The default instance of a nested config field (its factory's), for the help text."""
    if info.default_factory is not None:
        try:
            return info.default_factory()
        except TypeError:
            return None
    return info.default


def config_fields(cls: type, prefix: str = "", defaults: Any = None) -> Iterable[ConfigField]:
    from pydantic_core import PydanticUndefined

    for name, info in cls.model_fields.items():
        tp, _ = _unwrap(info.annotation)
        path = f"{prefix}{name}"
        if _is_model(tp):
            inner = getattr(defaults, name, None) if defaults is not None else None
            yield from config_fields(tp, f"{path}.", inner or _nested_defaults(info))
            continue
        default = None if info.default is PydanticUndefined else info.default
        if defaults is not None:
            default = getattr(defaults, name, default)
        yield ConfigField(path, tp, _help(cls, name, info), default)


def option_name(path: str) -> str:
    return "--" + path.replace("_", "-")


def field_option(f: ConfigField, index: int, extra: list[str]) -> click.Parameter | None:
    dest = f"f{index}"
    help_text = f.help + (f" [default: {f.default}]" if f.default not in (None, "", ()) else "")
    if f.tp is bool:
        pairs = [
            f"{flag}/--no-{flag[2:]}" if flag.startswith("--") else flag
            for flag in [option_name(f.path), *extra]
        ]
        return click.Option([*pairs, dest], default=None, help=f.help)
    mapped = _click_type(f.tp)
    if mapped is None:
        return None
    kind, multiple = mapped
    decls = [option_name(f.path), *extra, dest]
    return click.Option(decls, type=kind, multiple=multiple, default=None, help=help_text)


def field_argument(f: ConfigField, index: int, required: bool) -> click.Argument:
    mapped = _click_type(f.tp) or (click.STRING, False)
    kind, multiple = mapped
    return click.Argument(
        [f"f{index}"],
        type=kind,
        nargs=-1 if multiple else 1,
        required=required,
        metavar=f.path.upper(),
    )
