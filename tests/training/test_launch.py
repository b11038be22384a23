"""``--accelerate-config``: the shipped configs parse with accelerate's own classes, the printed
command passes accelerate's own launch checks (a dry run), and the recipe it points at is the
verb's config without the launch fields."""

import json
from pathlib import Path

import pytest
import yaml

pytest.importorskip("accelerate", reason="extra 'train' not installed")

from accelerate.commands.config.config_args import load_config_from_file  # noqa: E402

from lmforge.errors import InputError  # noqa: E402
from lmforge.training.dpo import DPORecipe, dpo  # noqa: E402
from lmforge.training.sft import SFTRecipe, sft  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "accelerate"
SHIPPED = {
    "ddp-4gpu.yaml": ("MULTI_GPU", 4, 1),
    "fsdp-8gpu.yaml": ("FSDP", 8, 1),
    "deepspeed-zero3-2x8gpu.yaml": ("DEEPSPEED", 16, 2),
    "one-gpu-bf16.yaml": ("NO", 1, 1),
}


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "sft.jsonl"
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]
    data.write_text(json.dumps({"messages": turns}) + "\n")
    model = tmp_path / "model"
    model.mkdir()
    return data, model


def test_every_shipped_config_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_config_parses_and_its_command_dry_runs(tmp_path, name):
    kind, processes, machines = SHIPPED[name]
    parsed = load_config_from_file(str(EXAMPLES / name))
    assert (parsed.distributed_type.value, parsed.num_processes) == (kind, processes)
    data, model = _inputs(tmp_path)
    recipe = SFTRecipe(
        data=data,
        model=f"hf:{model}",
        output_dir=tmp_path / "out",
        epochs=2,
        accelerate_config=EXAMPLES / name,
    )
    lines = sft(recipe)
    written = tmp_path / "out" / "launch-recipe.yaml"
    command = (
        f"command: accelerate launch --config_file {EXAMPLES / name} -m lmforge.cli "
        f"train sft --config {written}"
    )
    assert lines[0] == command
    assert f"{processes} processes on {machines} machine(s)" in lines[2]
    assert lines[-1] == "not started (add --launch to run it here)"
    again = SFTRecipe.model_validate(yaml.safe_load(written.read_text()))
    assert again.accelerate_config is None and not again.launch  # the launched run trains
    assert again.model_dump(exclude={"accelerate_config", "launch"}) == recipe.model_dump(
        exclude={"accelerate_config", "launch"}
    )
    assert not (tmp_path / "out" / "final").exists()  # nothing trained


def test_dry_run_reports_what_the_launcher_would_set(tmp_path):
    from lmforge.training.launch import plan_launch

    data, model = _inputs(tmp_path)
    recipe = SFTRecipe(
        data=data, model=f"hf:{model}", accelerate_config=EXAMPLES / "fsdp-8gpu.yaml"
    )
    plan = plan_launch(recipe, ("train", "sft"), tmp_path / "r.yaml")
    assert plan.env["ACCELERATE_USE_FSDP"] == "true" and plan.env["FSDP_VERSION"] == "2"
    assert plan.env["ACCELERATE_MIXED_PRECISION"] == "bf16"


def test_dpo_prints_its_command(tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text(json.dumps({"prompt": "Q?", "chosen": "Yes.", "rejected": "No."}) + "\n")
    recipe = DPORecipe(
        data=data,
        model="hf:unused",
        output_dir=tmp_path / "dpo",
        accelerate_config=EXAMPLES / "ddp-4gpu.yaml",
    )
    lines = dpo(recipe)
    assert lines[0].endswith(f"train dpo --config {tmp_path / 'dpo' / 'launch-recipe.yaml'}")


def test_bad_configs_are_one_line_input_errors(tmp_path):
    data, model = _inputs(tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text("distributed_type: MULTI_GPU\nnum_processes: 2\nno_such_key: 1\n")
    for path, expect in ((tmp_path / "missing.yaml", "no such"), (broken, "not an accelerate")):
        recipe = SFTRecipe(data=data, model=f"hf:{model}", accelerate_config=path)
        with pytest.raises(InputError, match=expect) as err:
            sft(recipe)
        assert "\n" not in str(err.value)
    odd = tmp_path / "fp7.yaml"
    odd.write_text("distributed_type: MULTI_GPU\nnum_processes: 2\nmixed_precision: fp7\n")
    recipe = SFTRecipe(data=data, model=f"hf:{model}", accelerate_config=odd)
    with pytest.raises(InputError, match="accelerate rejects it: Unknown mixed_precision"):
        sft(recipe)  # parsed, but accelerate's launch checks refuse it


def test_distill_trainer_plans_many_processes(tmp_path):
    """The distillation loop is data-parallel (accelerate): a 4-process config is planned."""
    from lmforge.distill.trainer import TrainConfig
    from lmforge.training.launch import plan_launch

    cfg = TrainConfig(store=tmp_path, accelerate_config=EXAMPLES / "ddp-4gpu.yaml")
    plan = plan_launch(cfg, ("distill", "train"), tmp_path / "r.yaml")
    assert plan.processes == 4 and plan.command[6:] == [
        "distill",
        "train",
        "--config",
        str(tmp_path / "r.yaml"),
    ]


def test_cli_prints_the_command(tmp_path, capsys):
    from lmforge.entry import build_app

    data, model = _inputs(tmp_path)
    config = EXAMPLES / "ddp-4gpu.yaml"
    args = ["train", "sft", "--data", str(data), "--model", f"hf:{model}"]
    args += ["--output-dir", str(tmp_path / "o"), "--accelerate-config", str(config)]
    build_app().main(args=args, prog_name="lmforge", standalone_mode=False)
    out = capsys.readouterr().out
    assert out.startswith(f"command: accelerate launch --config_file {config} -m lmforge.cli")
    assert (tmp_path / "o" / "launch-recipe.yaml").is_file()


CPU_ONE_PROCESS = """compute_environment: LOCAL_MACHINE
distributed_type: 'NO'
num_machines: 1
num_processes: 1
mixed_precision: 'no'
use_cpu: true
"""


@pytest.mark.slow
def test_launch_runs_accelerate_and_the_launched_process_trains(tmp_path):
    """The printed command, run: accelerate starts lmforge, which reads the recipe and trains."""
    from lmforge.training import save_tiny_model

    model = save_tiny_model(tmp_path / "tiny")
    data, _ = _inputs(tmp_path)
    config = tmp_path / "cpu.yaml"
    config.write_text(CPU_ONE_PROCESS)
    recipe = SFTRecipe(
        data=data,
        model=f"hf:{model}",
        output_dir=tmp_path / "out",
        max_steps=2,
        max_length=64,
        accelerate_config=config,
        launch=True,
    )
    lines = sft(recipe)
    assert lines[-1] == "launched: exit 0"
    assert (tmp_path / "out" / "final" / "config.json").is_file()
