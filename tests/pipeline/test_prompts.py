"""Prompt templates: loading from folders and packages, inputs, hashing, chat messages."""

from __future__ import annotations

import hashlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from lmforge.errors import InputError, LMForgeError
from lmforge.pipeline.prompts import Prompt, PromptLibrary, load_prompt, parse_inputs

PROMPTS = Path(__file__).parent / "prompts"


@pytest.fixture
def library() -> PromptLibrary:
    return PromptLibrary(PROMPTS)


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- rendering


def test_render_uses_inputs_and_leaves_no_blank_line_for_the_header(library):
    prompt = library.get("greet")
    assert isinstance(prompt, Prompt)
    assert prompt.inputs == ("name", "items")
    assert prompt.render(name="Ada", items=["x", "y"]) == "Hello Ada.\n- x\n- y\n"


def test_trailing_newline_is_kept(library):
    assert library.get("greet").render(name="A", items=[]).endswith("\n")


def test_extra_variables_are_ignored(library):
    text = library.get("greet").render(name="Ada", items=[], unused="zzz", id="r1")
    assert "zzz" not in text


def test_missing_input_names_template_and_variable(library):
    with pytest.raises(InputError) as info:
        library.get("greet").render(name="Ada")
    message = str(info.value)
    assert "greet" in message and "'items'" in message
    assert info.value.field == "items"
    assert info.value.path and info.value.path.endswith("greet.j2")


def test_missing_attribute_of_an_input_is_an_input_error(library):
    prompt = library.get("record")
    assert prompt.render(record={"title": "T"}) == "Title: T\n"
    with pytest.raises(InputError, match="record") as info:
        prompt.render(record={"body": "no title"})
    assert "title" in str(info.value)


def test_optional_input_defaults_to_none(library):
    prompt = library.get("optional")
    assert prompt.inputs == ("question", "reference")
    assert prompt.optional == frozenset({"reference"})
    assert prompt.required == ("question",)
    assert prompt.render(question="Why?") == "Q: Why?\n"
    assert prompt.render(question="Why?", reference="Because.") == "Q: Why?\nReference: Because.\n"


def test_no_autoescape(library):
    assert library.get("literal").render() == 'Use <b>bold</b> & "quotes" as they are.\n'


def test_values_are_not_escaped_either(library):
    text = library.get("greet").render(name="<script>&", items=[])
    assert text.startswith("Hello <script>&.")


# --------------------------------------------------------------------------- chat messages


def test_messages_from_system_and_user_blocks(library):
    messages = library.get("chat").messages(role="judge", question="2+2?")
    assert messages == [
        {"role": "system", "content": "You are a careful judge."},
        {"role": "user", "content": "Question: 2+2?\nAnswer in JSON."},
    ]


def test_render_of_a_block_template_contains_both_blocks(library):
    text = library.get("chat").render(role="judge", question="2+2?")
    assert "You are a careful judge." in text and "Question: 2+2?" in text


def test_user_block_only(library):
    assert library.get("user_only").messages(question="Hi") == [{"role": "user", "content": "Hi"}]


def test_template_without_blocks_is_one_user_message(library):
    messages = library.get("greet").messages(name="Ada", items=["x"])
    assert messages == [{"role": "user", "content": "Hello Ada.\n- x"}]


def test_messages_check_inputs_too(library):
    with pytest.raises(InputError, match="'question'"):
        library.get("chat").messages(role="judge")


# --------------------------------------------------------------------------- identity


def test_sha256_is_the_hash_of_the_source(library):
    prompt = library.get("greet")
    assert prompt.source == (PROMPTS / "greet.j2").read_text(encoding="utf-8")
    assert prompt.sha256 == hashlib.sha256(prompt.source.encode("utf-8")).hexdigest()


def test_sha256_changes_when_an_included_template_changes(tmp_path):
    write(tmp_path, "part.j2", "{# inputs: #}\nversion one\n")
    write(tmp_path, "main.j2", '{# inputs: #}\n{% include "part.j2" %}\n')
    first = PromptLibrary(tmp_path).get("main")
    assert first.render() == "version one\n"
    assert first.sha256 != hashlib.sha256(first.source.encode()).hexdigest()
    write(tmp_path, "part.j2", "{# inputs: #}\nversion two\n")
    second = PromptLibrary(tmp_path).get("main")
    assert second.source == first.source
    assert second.sha256 != first.sha256


def test_subfolders_and_includes(library):
    prompt = library.get("judge/single")
    assert prompt.name == "judge/single"
    text = prompt.render(answer="42", scale=10)
    assert text == 'Judge this answer: 42\nRate from 1 to 10; answer "Rating: [[N]]".\n'


def test_names_with_or_without_suffix_are_the_same_prompt(library):
    assert library.get("greet") is library.get("greet.j2")
    assert library["greet"] is library.get("greet")
    assert "greet" in library and "nope" not in library
    assert {"greet", "chat", "judge/single"} <= set(library.names())


# --------------------------------------------------------------------------- the inputs comment


def test_parse_inputs():
    assert parse_inputs("{# inputs: a, b_2, c? #}\nx") == (("a", "b_2", "c"), frozenset({"c"}))
    assert parse_inputs("{#- inputs:\n  a,\n  b\n-#}") == (("a", "b"), frozenset())
    assert parse_inputs("{# inputs: #}") == ((), frozenset())


def test_missing_inputs_comment_is_refused(tmp_path):
    write(tmp_path, "bare.j2", "Hello {{ name }}\n")
    with pytest.raises(InputError, match="inputs"):
        PromptLibrary(tmp_path).get("bare")


def test_undeclared_variable_is_refused_at_load(tmp_path):
    write(tmp_path, "sloppy.j2", "{# inputs: a #}\n{{ a }} {{ b }}\n")
    with pytest.raises(InputError, match=r"\['b'\]"):
        PromptLibrary(tmp_path).get("sloppy")


def test_loop_and_set_variables_need_no_declaration(tmp_path):
    write(
        tmp_path,
        "ok.j2",
        "{# inputs: xs #}\n{% set n = xs | length %}"
        "{% for x in xs %}{{ loop.index }}/{{ n }}:{{ x }} {% endfor %}{{ range(2) | list }}\n",
    )
    assert PromptLibrary(tmp_path).get("ok").render(xs=["a", "b"]) == "1/2:a 2/2:b [0, 1]\n"


def test_bad_input_name_is_refused(tmp_path):
    write(tmp_path, "bad.j2", "{# inputs: a b #}\n")
    with pytest.raises(InputError, match="bad input name"):
        PromptLibrary(tmp_path).get("bad")


def test_syntax_error_names_file_and_line(tmp_path):
    write(tmp_path, "broken.j2", "{# inputs: a #}\nline two\n{% if a %}never closed\n")
    with pytest.raises(InputError) as info:
        PromptLibrary(tmp_path).get("broken")
    assert info.value.path.endswith("broken.j2")
    assert info.value.line is not None


# --------------------------------------------------------------------------- where templates live


def test_unknown_prompt_lists_what_exists(library):
    with pytest.raises(InputError, match="no prompt 'nope.j2'.*greet"):
        library.get("nope")


def test_path_traversal_is_not_a_template_name(library):
    with pytest.raises(InputError):
        library.get("../test_prompts.py")


def test_missing_directory(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        PromptLibrary(tmp_path / "absent")


def test_directory_given_as_string(tmp_path):
    write(tmp_path, "p.j2", "{# inputs: #}\nok\n")
    assert PromptLibrary(str(tmp_path)).get("p").render() == "ok\n"


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throwaway installed package with a prompts/ folder, as a system package has."""
    name = f"fake_system_{tmp_path.name.replace('-', '_')}"
    root = tmp_path / "site" / name
    write(root, "__init__.py", "")
    write(root, "prompts/refine.j2", "{# inputs: text #}\nRefine: {{ text }}\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield name
    sys.modules.pop(name, None)


def test_load_prompt_from_a_package(fake_package):
    prompt = load_prompt(fake_package, "refine")
    assert prompt.render(text="abc") == "Refine: abc\n"
    assert load_prompt(fake_package, "refine") is prompt  # cached: read once per process
    assert prompt.origin.endswith("refine.j2")


def test_package_without_prompts_folder(tmp_path, monkeypatch):
    write(tmp_path / "site" / "bare_pkg_for_prompts", "__init__.py", "")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    with pytest.raises(InputError, match="no prompts/ folder"):
        PromptLibrary("bare_pkg_for_prompts")
    sys.modules.pop("bare_pkg_for_prompts", None)


def test_unknown_package():
    with pytest.raises(InputError, match="no package"):
        PromptLibrary("lmforge.no_such_system_here")


def test_errors_are_lmforge_errors(library):
    with pytest.raises(LMForgeError):
        library.get("greet").render()
