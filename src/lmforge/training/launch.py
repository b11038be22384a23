"""``--accelerate-config FILE``: the exact ``accelerate launch`` command of a training verb.

Why print a command rather than start the processes ourselves: multi-GPU and multi-node
training belongs to accelerate (DDP, FSDP, DeepSpeed ZeRO), and on a cluster the command runs on
each machine under a scheduler we do not see. So a training verb given ``--accelerate-config``
checks the file with accelerate's own config classes (``load_config_from_file``), dry-runs the
launch line through accelerate's own parser and checks (``_validate_launch_command`` and the
environment its launcher would hand to ``torch.distributed.run``), writes the verb's config as a
YAML recipe, and prints::

    accelerate launch --config_file FILE -m lmforge.cli train sft --config RECIPE

It starts it only with ``--launch``. The recipe holds every field the user set (the launched
process reads it with ``--config``), without ``accelerate_config`` and ``launch``, so the
launched process trains instead of launching again. TRL's trainers (``train sft``,
``train dpo``) and the distillation trainer (``distill train``, an ``Accelerator`` loop) are
accelerate-aware. ``distributed=False`` is for a trainer that is not: a config of more than one
process is refused for it (it would train N copies, not one model on N GPUs).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from lmforge.errors import InputError, LMForgeError

__all__ = ["LaunchPlan", "check_accelerate_config", "dry_run", "launch_lines", "plan_launch"]

LAUNCH_FIELDS = ("accelerate_config", "launch")
"""The fields that ask for a launch: left out of the recipe the launched process reads."""


@dataclass
class LaunchPlan:
    """What ``accelerate launch`` will be asked to do, and what its dry run found."""

    command: list[str]
    recipe: Path
    distributed_type: str
    processes: int
    machines: int
    env: dict[str, str] = field(default_factory=dict)
    """The launcher's own variables (``ACCELERATE_*``, ``FSDP_*``) from the dry run."""

    @property
    def line(self) -> str:
        return shlex.join(self.command)


def check_accelerate_config(path: Path) -> Any:
    """The file parsed by accelerate's own config classes; a one-line ``InputError`` if not."""
    from accelerate.commands.config.config_args import load_config_from_file

    if not path.is_file():
        raise InputError("no such accelerate config file", path=path)
    try:
        return load_config_from_file(str(path))
    except Exception as exc:  # accelerate raises whatever its parsing hits
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"not an accelerate config: {message}", path=path) from None


def dry_run(command: list[str]) -> dict[str, str]:
    """Parse and check ``command`` as ``accelerate launch`` would, and build the environment its
    launcher would pass on; start nothing. Returns the launcher's own variables."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_deepspeed_cmd_env, prepare_multi_gpu_env

    if command[:2] != ["accelerate", "launch"]:
        raise ValueError("not an accelerate launch command")
    args = launch_command_parser().parse_args(command[2:])
    try:
        args, defaults, mixed_from_config = _validate_launch_command(args)
        if args.use_deepspeed:
            fields = list(defaults.deepspeed_config) if defaults else []
            fields += ["mixed_precision"] if mixed_from_config else []
            args.deepspeed_fields_from_accelerate_config = ",".join(fields)
            env = prepare_deepspeed_cmd_env(args)[1]
        elif args.multi_gpu or args.use_fsdp:
            env = prepare_multi_gpu_env(args)
        else:
            env = {}
    except (ValueError, KeyError, TypeError) as exc:
        config = command[command.index("--config_file") + 1]
        raise InputError(f"accelerate rejects it: {exc}", path=config) from None
    wanted = ("ACCELERATE_", "FSDP_", "MIXED_PRECISION")
    return {k: str(v) for k, v in env.items() if k.startswith(wanted)}


def _recipe(config: BaseModel, where: Path) -> Path:
    data = config.model_dump(mode="json", exclude=set(LAUNCH_FIELDS))
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return where


def plan_launch(
    config: BaseModel,
    verb: tuple[str, ...],
    recipe: Path,
    *,
    extra: tuple[str, ...] = (),
    distributed: bool = True,
) -> LaunchPlan:
    """Check ``config.accelerate_config``, write the recipe, and dry-run the command.

    ``verb`` is the command's words after ``lmforge`` (``("train", "sft")``); ``extra`` options
    the launched command also needs (``--out``). ``distributed=False`` (a trainer that is not
    accelerate-aware) refuses configs of more than one process.
    """
    path = Path(config.accelerate_config)
    parsed = check_accelerate_config(path)
    processes, machines = int(parsed.num_processes or 1), int(parsed.num_machines or 1)
    if not distributed and processes > 1:
        raise InputError(
            f"'lmforge {' '.join(verb)}' is a single-process loop; a config of {processes} "
            "processes would train that many copies (use a one-process config)",
            path=path,
        )
    target = _recipe(config, recipe)
    command = [
        *("accelerate", "launch", "--config_file", str(path)),
        *("-m", "lmforge.cli", *verb, "--config", str(target), *extra),
    ]
    env = dry_run(command)
    kind = getattr(parsed.distributed_type, "value", str(parsed.distributed_type))
    return LaunchPlan(command, target, kind, processes, machines, env)


def _accelerate() -> str:
    """The ``accelerate`` program: on PATH, else beside this Python (a venv not activated)."""
    beside = Path(sys.executable).parent / "accelerate"
    return shutil.which("accelerate") or (str(beside) if beside.exists() else "accelerate")


def launch_lines(plan: LaunchPlan, *, launch: bool) -> list[str]:
    """What the verb prints: the command (to copy to each machine), and, with ``launch``, the
    launched run's exit status (a failure raises, so the CLI exits non-zero)."""
    lines = [
        f"command: {plan.line}",
        f"recipe: {plan.recipe}",
        f"distributed: {plan.distributed_type}, {plan.processes} processes on "
        f"{plan.machines} machine(s)",
    ]
    if plan.machines > 1:
        lines.append("run it on every machine, each with its machine_rank in the config file")
    if not launch:
        lines.append("not started (add --launch to run it here)")
        return lines
    print(lines[0], file=sys.stderr, flush=True)
    code = subprocess.run([_accelerate(), *plan.command[1:]], check=False).returncode
    if code != 0:
        raise LMForgeError(f"accelerate launch exited with status {code}")
    return [*lines, "launched: exit 0"]
