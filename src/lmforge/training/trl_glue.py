"""What every TRL recipe here does the same way: a local model folder only (no hub), the
model and tokenizer loaded from it, the trainer arguments that do not depend on the recipe, and
the final model saved beside the recipe that made it. torch and transformers are imported inside
the functions, after a recipe's rows were checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lmforge.errors import ConfigError
from lmforge.pipeline.rundir import RunDir

__all__ = ["fixed_args", "load_model", "model_path", "save_final"]


def model_path(spec: str, verb: str) -> Path:
    """The folder of an ``hf:PATH`` spec; anything else is refused in one line."""
    if not spec.startswith("hf:"):
        raise ConfigError(f"{spec}: {verb} needs a local transformers model, hf:PATH")
    path = Path(spec[3:]).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{spec}: no such model folder (no hub downloads)")
    return path


def load_model(path: Path) -> tuple[Any, Any]:
    """(tokenizer, causal LM) from a local folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    return tokenizer, AutoModelForCausalLM.from_pretrained(path, local_files_only=True)


def fixed_args() -> dict[str, Any]:
    """Trainer arguments every recipe shares: the device, a log line per step, no checkpoints
    (the final model is saved once), no reporting service, no loader processes."""
    import torch

    on_gpu = torch.cuda.is_available()
    return {
        "use_cpu": not on_gpu,
        "bf16": on_gpu and torch.cuda.is_bf16_supported(),
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": [],
        "dataloader_num_workers": 0,
    }


def save_final(trainer: Any, tokenizer: Any, recipe: BaseModel, output_dir: Path) -> Path:
    """Save the model and tokenizer to ``output_dir/final`` and the recipe beside them."""
    final = output_dir / "final"
    trainer.save_model(str(final))
    tokenizer.save_pretrained(str(final))
    (output_dir / "recipe.json").write_text(recipe.model_dump_json(indent=2))
    RunDir(output_dir).write_config(recipe)
    return final
