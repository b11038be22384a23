"""PEP 562 lazy exports: a package lists its public names and the submodule of each, and a name
is imported on first use. Importing the exception tree must not pull in httpx, torch or llama.cpp.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def export_table(text: str) -> dict[str, str]:
    """``"module: Name other_name"`` lines -> {name: module}: a package's public names grouped
    by the submodule that defines them (``#`` starts a comment line)."""
    table: dict[str, str] = {}
    for line in text.splitlines():
        module, sep, names = line.partition(":")
        if not sep or line.lstrip().startswith("#"):
            continue
        for name in names.split():
            if name in table:
                raise ValueError(f"{name} is exported twice ({table[name]}, {module.strip()})")
            table[name] = module.strip()
    return table


def lazy_exports(
    package: str, exports: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` for ``package``; resolved names are cached in
    the package namespace so the lookup runs once."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{exports[name]}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace.get("__all__", exports)))

    return __getattr__, __dir__
