"""Prompt templates: Jinja2 files in each system's ``prompts/`` folder.

Prompts are files, never string literals, so that a researcher can read and edit them without
reading code, and so that a stage's signature can include :attr:`Prompt.sha256`: editing a
prompt reruns exactly the stages that use it.

Conventions every template follows:

- The first thing in the file is ``{# inputs: a, b, c #}``; a name ending in ``?`` is optional
  and is ``None`` when not given (``{# inputs: question, reference? #}``). Loading fails when
  the comment is missing or when the template uses a variable it does not declare, so the
  comment can be trusted as the template's interface.
- Rendering without a required input raises :class:`~lmforge.errors.InputError` naming the
  template and the variable; extra variables are ignored (a record carries more fields than
  any one prompt uses).
- Chat prompts define ``{% block system %}`` and/or ``{% block user %}``; :meth:`Prompt.messages`
  turns them into messages. A template without those blocks is one user message. Jinja renders
  a block on its own, so a ``{% set %}`` or macro meant for a block belongs inside it.

Environment: ``StrictUndefined``, no autoescaping (prompts are not HTML),
``keep_trailing_newline`` and ``trim_blocks`` (a tag alone on its line, the inputs comment
included, leaves no blank line behind).
"""

from __future__ import annotations

import hashlib
import importlib
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import meta

from lmforge.errors import InputError

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; annotations only
    from importlib.resources.abc import Traversable

__all__ = ["Prompt", "PromptLibrary", "load_prompt", "parse_inputs"]

SUFFIX = ".j2"
CHAT_BLOCKS = ("system", "user")
_INPUTS = re.compile(r"\A\s*\{#-?\s*inputs\s*:(.*?)-?#\}", re.DOTALL | re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z_]\w*\??$")


def parse_inputs(source: str, *, where: str = "<template>") -> tuple[tuple[str, ...], frozenset]:
    """The ``(declared inputs, optional inputs)`` of a template's leading comment.

    ``{# inputs: #}`` (empty) is valid: a template with no variables still states so.
    """
    match = _INPUTS.match(source)
    if match is None:
        raise InputError("template must start with '{# inputs: a, b, ... #}'", path=where)
    names = [n.strip() for n in match.group(1).replace("\n", ",").split(",") if n.strip()]
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        raise InputError(f"bad input name(s) {bad} in the inputs comment", path=where)
    declared = tuple(n.rstrip("?") for n in names)
    return declared, frozenset(n.rstrip("?") for n in names if n.endswith("?"))


@dataclass(frozen=True, eq=False)
class Prompt:
    """One loaded template; cheap to render many times."""

    name: str
    """Template name without the ``.j2`` suffix (``refine``, ``judge/pairwise``)."""
    source: str
    """The template text as stored."""
    origin: str
    """Where it was read from, for error messages."""
    inputs: tuple[str, ...]
    """Variables declared in the leading comment, in order."""
    optional: frozenset[str]
    """The declared inputs marked ``?``."""
    sha256: str
    """Hash of the source (and of templates it includes/extends): part of stage signatures."""
    template: jinja2.Template = field(repr=False)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(n for n in self.inputs if n not in self.optional)

    def __reduce__(self) -> tuple[Any, tuple[str, ...]]:
        """Pickled as its name, source and origin: the compiled template's environment does not
        pickle, and stages that close over prompts travel to Ray actors."""
        return _rebuild_prompt, (self.name, self.source, self.origin, self.sha256)

    def render(self, **variables: Any) -> str:
        """The whole template rendered; chat blocks, if any, appear in place."""
        self._check(variables)
        return self._guard(lambda: self.template.render(**variables))

    def messages(self, **variables: Any) -> list[dict[str, str]]:
        """Chat messages from the ``system``/``user`` blocks, else one user message.

        Message contents are stripped: the newlines that make a template readable are not
        part of what the model should see.
        """
        self._check(variables)
        present = [b for b in CHAT_BLOCKS if b in self.template.blocks]
        if not present:
            return [{"role": "user", "content": self.render(**variables).strip()}]

        def render_blocks() -> list[dict[str, str]]:
            context = self.template.new_context(dict(variables))
            return [
                {"role": b, "content": "".join(self.template.blocks[b](context)).strip()}
                for b in present
            ]

        return self._guard(render_blocks)

    def _check(self, variables: dict[str, Any]) -> None:
        for name in self.optional:
            variables.setdefault(name, None)
        missing = [n for n in self.required if n not in variables]
        if missing:
            raise InputError(
                f"prompt '{self.name}' needs input '{missing[0]}' (declared inputs: "
                f"{', '.join(self.inputs)}; given: {', '.join(sorted(variables)) or 'none'})",
                path=self.origin,
                field=missing[0],
            )

    def _guard(self, render: Callable[[], Any]) -> Any:
        """Turn Jinja's undefined errors (``record.title`` on a record without one) into
        InputError naming the template, so the runner reports them like a missing input."""
        try:
            return render()
        except jinja2.UndefinedError as exc:
            raise InputError(f"prompt '{self.name}': {exc}", path=self.origin) from exc


class _TraversableLoader(jinja2.BaseLoader):
    """Loads from a Traversable: a plain directory, or a package folder even inside a zip."""

    def __init__(self, root: Traversable) -> None:
        self.root = root

    def _find(self, template: str) -> Traversable:
        node = self.root
        for part in template.split("/"):
            if part in ("", ".", ".."):
                raise jinja2.TemplateNotFound(template)
            node = node.joinpath(part)
        if not node.is_file():
            raise jinja2.TemplateNotFound(template)
        return node

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        node = self._find(template)
        return node.read_text(encoding="utf-8"), str(node), lambda: True

    def list_templates(self) -> list[str]:
        return sorted(_walk(self.root, ""))


def _walk(node: Traversable, prefix: str) -> Iterator[str]:
    for child in node.iterdir():
        if child.is_dir():
            yield from _walk(child, f"{prefix}{child.name}/")
        elif child.name.endswith(SUFFIX):
            yield prefix + child.name


class PromptLibrary:
    """The templates of one ``prompts/`` folder.

    ``where`` is a package name (its ``prompts/`` subfolder is used: ``"lmforge.crab"``) or a
    directory (``Path`` or a string with a path separator or that names an existing folder
    which is not an importable package) -- the latter lets users point a system at edited
    copies of its prompts.
    """

    def __init__(self, where: str | Path) -> None:
        self.root, self.origin = _resolve_root(where)
        self.env = jinja2.Environment(
            loader=_TraversableLoader(self.root),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
        )
        self._cache: dict[str, Prompt] = {}

    def __repr__(self) -> str:
        return f"PromptLibrary({self.origin!r})"

    def __contains__(self, name: str) -> bool:
        return _template_file(name) in self.env.list_templates()

    def names(self) -> list[str]:
        """Every template name (without suffix), sorted: for listings and tests."""
        return [n[: -len(SUFFIX)] for n in self.env.list_templates()]

    def get(self, name: str) -> Prompt:
        """The prompt ``name`` (``"refine"`` or ``"refine.j2"``), loaded once and kept."""
        key = _template_file(name)
        if key not in self._cache:
            self._cache[key] = self._load(key)
        return self._cache[key]

    __getitem__ = get

    def _load(self, key: str) -> Prompt:
        try:
            source, filename, _ = self.env.loader.get_source(self.env, key)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            known = ", ".join(self.names()) or "none"
            raise InputError(f"no prompt '{key}' (available: {known})", path=self.origin) from None
        try:
            ast = self.env.parse(source, name=key, filename=filename)
        except jinja2.TemplateSyntaxError as exc:
            message = f"template syntax error: {exc.message}"
            raise InputError(message, path=filename, line=exc.lineno) from exc
        declared, optional = parse_inputs(source, where=filename)
        used = meta.find_undeclared_variables(ast) - set(self.env.globals)
        undeclared = sorted(used - set(declared))
        if undeclared:
            raise InputError(
                f"uses {undeclared} but its inputs comment declares only {list(declared)}",
                path=filename,
            )
        return Prompt(
            name=key[: -len(SUFFIX)],
            source=source,
            origin=filename,
            inputs=declared,
            optional=optional,
            sha256=self._digest(key, source),
            template=self.env.get_template(key),
        )

    def _digest(self, key: str, source: str) -> str:
        """sha256 of the source, plus the templates it includes/extends/imports (recursively),
        so that editing a shared fragment also changes the signatures of its users."""
        digest = hashlib.sha256(source.encode("utf-8"))
        seen, pending = {key}, [source]
        while pending:
            for ref in meta.find_referenced_templates(self.env.parse(pending.pop())):
                if ref is None or ref in seen:
                    continue
                seen.add(ref)
                ref_source = self.env.loader.get_source(self.env, ref)[0]  # type: ignore[union-attr]
                pending.append(ref_source)
                digest.update(f"\0{ref}\0{ref_source}".encode())
        return digest.hexdigest()


def _template_file(name: str) -> str:
    name = name.replace("\\", "/").strip("/")
    return name if name.endswith(SUFFIX) else name + SUFFIX


def _resolve_root(where: str | Path) -> tuple[Traversable, str]:
    """Package name -> its ``prompts/`` folder; anything path-like -> that directory."""
    path = Path(where)
    if isinstance(where, str) and re.fullmatch(r"[A-Za-z_][\w.]*", where):
        try:
            module = importlib.import_module(where)
        except ModuleNotFoundError as exc:
            if exc.name is None or not where.startswith(exc.name):
                raise  # the package exists but one of its own imports failed
            if not path.is_dir():
                message = f"no package or directory '{where}' to load prompts from"
                raise InputError(message) from None
        else:
            return _package_prompts(where, module)
    if not path.is_dir():
        raise InputError("prompt directory does not exist", path=path)
    return path, str(path.resolve())


def _package_prompts(name: str, module: Any) -> tuple[Traversable, str]:
    if getattr(module, "__path__", None) is None:
        raise InputError(f"'{name}' is a module, not a package with a prompts/ folder")
    root = files(name).joinpath("prompts")
    if not root.is_dir():
        raise InputError(f"package '{name}' has no prompts/ folder")
    return root, f"{name}:prompts"


@cache
def _library(where: str | Path) -> PromptLibrary:
    return PromptLibrary(where)


def load_prompt(where: str | Path, name: str) -> Prompt:
    """``load_prompt("lmforge.crab", "refine")``: the shared, cached way systems get prompts."""
    return _library(where).get(name)


def _rebuild_prompt(name: str, source: str, origin: str, sha256: str) -> Prompt:
    """A pickled prompt, loaded again where it lands: from its own folder when that holds the
    same template (includes and all), else from its source alone (a cluster node without the
    folder; a template that includes others then fails to load, and says which)."""
    root = Path(origin[: -len(name + SUFFIX)]) if origin.endswith(name + SUFFIX) else None
    if root is not None and root.is_dir():
        prompt = PromptLibrary(root).get(name)
        if prompt.sha256 == sha256:
            return prompt
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, name + SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        return PromptLibrary(Path(folder)).get(name)
