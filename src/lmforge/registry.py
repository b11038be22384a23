"""``Registry[T]``: the one way lmforge keeps named things (benchmarks, report sections, scorers,
constraint types, IFEval instruction ids, model backends, simulated students).

Every registry behaves the same: register by decorator (or ``add``), the help of an entry is the
first line of its docstring unless given, a *different* object under a taken name is refused
(one of two plug-ins would silently lose), re-registering the same object (a module imported
twice) replaces it, and an unknown name is an error that lists the known ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar, overload

from lmforge.errors import ConfigError

T = TypeVar("T")
__all__ = ["Registry"]


def _ident(obj: Any) -> str:
    """What makes two registrations the same: the defining module and qualified name."""
    target = getattr(obj, "__wrapped__", obj)
    module = getattr(target, "__module__", None)
    name = getattr(target, "__qualname__", None)
    if module is None or name is None:
        return f"{type(obj).__module__}.{type(obj).__qualname__}@{id(obj)}"
    return f"{module}.{name}"


def first_line(obj: Any) -> str:
    """The first line of ``obj``'s docstring ('' when it has none)."""
    return (inspect.getdoc(obj) or "").strip().partition("\n")[0]


class Registry(Generic[T]):
    """Named entries of one kind; ``kind`` appears in every error message."""

    def __init__(self, kind: str, *, error: type[Exception] = ConfigError) -> None:
        self.kind = kind
        self._error = error
        self._items: dict[str, T] = {}
        self._help: dict[str, str] = {}

    def add(self, name: str, item: T, *, help: str | None = None) -> T:
        """Register ``item`` under ``name``; a different object under a taken name is refused."""
        old = self._items.get(name)
        if old is not None and _ident(old) != _ident(item):
            raise ValueError(f"{self.kind} {name!r} is already registered by {_ident(old)}")
        self._items[name] = item
        self._help[name] = help if help is not None else first_line(item)
        return item

    @overload
    def register(self, name: str, *, help: str | None = None) -> Callable[[T], T]: ...
    @overload
    def register(self, name: T) -> T: ...

    def register(self, name: Any, *, help: str | None = None) -> Any:
        """Decorator: ``@registry.register("name")``, or bare ``@registry.register`` (the
        object's ``key`` attribute or ``__name__`` is the name)."""
        if not isinstance(name, str):
            item = name
            key = getattr(item, "key", None) or item.__name__
            return self.add(str(key), item)

        def decorate(item: T) -> T:
            return self.add(name, item, help=help)

        return decorate

    def get(self, name: str) -> T:
        """The entry, or one line naming the known ones."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none registered"
            raise self._error(f"unknown {self.kind} {name!r} (known: {known})") from None

    def find(self, name: str, default: Any = None) -> T | Any:
        return self._items.get(name, default)

    def help(self, name: str) -> str:
        return self._help.get(name, "")

    def names(self) -> list[str]:
        return sorted(self._items)

    def items(self) -> list[tuple[str, T]]:
        return [(n, self._items[n]) for n in self.names()]

    def listing(self) -> dict[str, str]:
        """Sorted names with their one-line help: what ``lmforge benchmarks`` and friends print."""
        return {n: self._help[n] for n in self.names()}

    def remove(self, name: str) -> None:
        self._items.pop(name, None)
        self._help.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"
