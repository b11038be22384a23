"""SFT on TRL ``messages`` rows: the one recipe the data-synthesis systems hand their output to.

CRAB's forward/reverse mix and LongWriter's AgentWrite rows are both conversations; this wraps
TRL's ``SFTTrainer`` so that ``lmforge crab train-sft`` and Python callers share one config.
Real runs belong on GPUs (launch with ``accelerate launch`` for several); on a CPU it is a smoke
test. torch, transformers, datasets and TRL are imported inside the function (extra ``train``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from lmforge.inputs import JsonlPath
from lmforge.pipeline.records import check_row, iter_jsonl
from lmforge.training.trl_glue import fixed_args, load_model, model_path, save_final

__all__ = ["SFTRecipe", "SFTRow", "load_messages", "sft", "train_sft"]


class Turn(BaseModel):
    """One turn of a conversation (TRL ``messages``)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant"]
    content: StrictStr


class SFTRow(BaseModel):
    """One training row: a non-empty ``messages`` list of {role, content}."""

    model_config = ConfigDict(extra="allow")

    messages: list[Turn] = Field(min_length=1)


class SFTRecipe(BaseModel):
    """Supervised fine-tuning on conversations (written to the output folder as recipe.json)."""

    data: JsonlPath
    """JSONL with a ``messages`` list of {role, content} per row."""
    model: str
    """``hf:PATH`` of a local transformers causal LM with a chat template."""
    output_dir: Path = Path("runs/sft")
    epochs: float = 4.0
    """CRAB trains 4 epochs (Mistral-Crab-SFT)."""
    max_steps: int = -1
    """Stop after this many optimiser steps (-1: run the epochs)."""
    learning_rate: float = 2e-5
    batch_size: int = 4
    gradient_accumulation: int = 1
    max_length: int = Field(2048, gt=0)
    assistant_only_loss: bool = False
    """Loss on assistant turns only (needs a template with generation markers)."""
    seed: int = 42
    accelerate_config: Path | None = None
    """An accelerate config file (DDP, FSDP, DeepSpeed ZeRO-3: see ``examples/accelerate/``):
    check it and print the ``accelerate launch`` command that trains with it."""
    launch: bool = False
    """With ``--accelerate-config``: also run that command here (else it is only printed)."""


def load_messages(path: str | Path) -> list[dict[str, Any]]:
    """Rows of ``messages``, checked (:class:`SFTRow`): each turn has a known role and string
    content. Called before torch or TRL is imported, so a bad row costs no start-up."""
    rows = []
    for line, row in iter_jsonl(path):
        turns = check_row(SFTRow, row, path=path, line=line).messages
        rows.append({"messages": [{"role": t.role, "content": t.content} for t in turns]})
    return rows


def train_sft(recipe: SFTRecipe) -> dict[str, Any]:
    """Train, save the model and tokenizer to ``output_dir/final``, return the loss history.

    The data and the model folder are checked first: a bad row or model spec stops in one line
    before torch, transformers and TRL are imported (~10 s) and before anything is written."""
    rows = load_messages(recipe.data)
    path = model_path(recipe.model, "train-sft")

    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    tokenizer, model = load_model(path)
    args = SFTConfig(
        **fixed_args(),
        output_dir=str(recipe.output_dir),
        num_train_epochs=recipe.epochs,
        max_steps=recipe.max_steps,
        learning_rate=recipe.learning_rate,
        per_device_train_batch_size=recipe.batch_size,
        gradient_accumulation_steps=recipe.gradient_accumulation,
        max_length=recipe.max_length,
        assistant_only_loss=recipe.assistant_only_loss,
        seed=recipe.seed,
    )
    trainer = SFTTrainer(
        model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer
    )
    result = trainer.train()
    final = save_final(trainer, tokenizer, recipe, recipe.output_dir)
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    return {
        "steps": result.global_step,
        "losses": losses,
        "model": str(final),
        "train_loss": result.training_loss,
    }


def sft(recipe: SFTRecipe) -> list[str]:
    """Supervised fine-tuning on TRL ``messages`` rows (`lmforge train sft`; CRAB's old
    `lmforge crab train-sft` is an alias): the figures a user checks first; with
    ``--accelerate-config``, the ``accelerate launch`` command (``training.launch``)."""
    if recipe.accelerate_config is not None:
        from lmforge.training.launch import launch_lines, plan_launch

        load_messages(recipe.data)  # a bad row stops here, not in each launched process
        model_path(recipe.model, "train-sft")
        recipe_file = recipe.output_dir / "launch-recipe.yaml"
        return launch_lines(
            plan_launch(recipe, ("train", "sft"), recipe_file), launch=recipe.launch
        )
    result = train_sft(recipe)
    return [
        f"steps: {result['steps']}",
        f"train_loss: {result['train_loss']:.4f}",
        f"model: {result['model']}",
    ]
