import pytest

from lmforge.config import load_config, parse_override
from lmforge.errors import InputError
from lmforge.pipeline.batch import BatchConfig


def test_file_then_set_then_cli(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("input: a.jsonl\nfield: q\ngeneration:\n  max_tokens: 10\n  seed: 3\n")
    cfg = load_config(
        BatchConfig,
        cfg_file,
        ["generation.max_tokens=20", "system=Be brief"],
        field=None,
        **{"generation.seed": 5},
    )
    assert (cfg.field, cfg.generation.max_tokens, cfg.generation.seed) == ("q", 20, 5)
    assert cfg.system == "Be brief" and str(cfg.input) == "a.jsonl"


def test_errors_name_the_field_or_line(tmp_path):
    with pytest.raises(InputError, match="field 'input': Field required"):
        load_config(BatchConfig, None, [])
    with pytest.raises(InputError, match="field 'generation.max_tokens'"):
        load_config(BatchConfig, None, ["generation.max_tokens=-1"], input="x")
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [a\n")
    with pytest.raises(InputError, match=r"bad.yaml:\d+: invalid YAML"):
        load_config(BatchConfig, bad)
    with pytest.raises(InputError, match="expected key.sub=value"):
        parse_override("novalue")


def test_override_values_are_yaml():
    assert parse_override("a.b=3") == (["a", "b"], 3)
    assert parse_override("x=[1, 2]") == (["x"], [1, 2])
    assert parse_override("s=hello world") == (["s"], "hello world")


def test_setting_inside_a_scalar_is_an_input_error():
    with pytest.raises(InputError, match="'generation' is not a mapping"):
        load_config(BatchConfig, None, ["generation=3", "generation.seed=1"], input="x")
