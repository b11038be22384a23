"""DPO on TRL preference rows: the recipe LongReward's pairs (and any system's) are trained with.

The loss is TRL's sigmoid DPO, -log sigmoid(beta * [(log pi(y_w|x) - log pi_ref(y_w|x)) -
(log pi(y_l|x) - log pi_ref(y_l|x))]), pi_ref = the starting model. The reference log-probs
are computed once before training (``precompute_ref_log_probs``): a long-context policy and a
second long-context reference model do not both fit on one GPU, and the reference never
changes. ``mix`` adds a second preference file (LongReward combines its long-context pairs
with short-context preference data; the paper gives no ratio, so the two files are simply
concatenated and shuffled by the trainer).

Rows are ``prompt``/``chosen``/``rejected``, each a string (TRL's standard form) or a list of
{role, content} turns (conversational); both files are read into the conversational form so
that they can be mixed. torch, transformers, datasets and TRL are imported inside the function
(extra ``train``); bad rows stop in one line before any of them is imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from lmforge.inputs import JsonlPath
from lmforge.pipeline.records import check_row, iter_jsonl
from lmforge.training.trl_glue import fixed_args, load_model, model_path, save_final

__all__ = ["DPORecipe", "PreferenceRow", "dpo", "load_preferences", "train_dpo"]


class Turn(BaseModel):
    """One turn of a conversation (TRL conversational form)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant"]
    content: StrictStr


Part = StrictStr | list[Turn]


class PreferenceRow(BaseModel):
    """One preference row: the prompt and a chosen and a rejected completion."""

    model_config = ConfigDict(extra="allow")

    prompt: Part
    chosen: Part
    rejected: Part


class DPORecipe(BaseModel):
    """Direct preference optimisation on preference pairs (recipe.json in the output folder)."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    data: JsonlPath
    """JSONL preference rows: prompt, chosen, rejected (strings or lists of {role, content})."""
    model: str
    """``hf:PATH`` of a local transformers causal LM with a chat template (the SFT model; it
    is also the reference)."""
    mix: JsonlPath | None = None
    """A second preference file trained together with ``data`` (short-context pairs)."""
    output_dir: Path = Path("runs/dpo")
    beta: float = Field(0.1, gt=0)
    """Strength of the KL anchor to the reference (TRL's default; LongReward's own value is not
    in its released material)."""
    epochs: float = 1.0
    max_steps: int = -1
    """Stop after this many optimiser steps (-1: run the epochs)."""
    learning_rate: float = 1e-6
    batch_size: int = 1
    gradient_accumulation: int = 1
    max_length: int = Field(65536, gt=0)
    """Tokens of prompt + completion kept (LongReward trains at 64k)."""
    precompute_ref_log_probs: bool = True
    """Compute the reference log-probs once before training (no second model in memory)."""
    seed: int = 42
    accelerate_config: Path | None = None
    """An accelerate config file (DDP, FSDP, DeepSpeed ZeRO-3: see ``examples/accelerate/``):
    check it and print the ``accelerate launch`` command that trains with it."""
    launch: bool = False
    """With ``--accelerate-config``: also run that command here (else it is only printed)."""


def _turns(part: str | list[Turn], role: str) -> list[dict[str, str]]:
    if isinstance(part, str):
        return [{"role": role, "content": part}]
    return [{"role": t.role, "content": t.content} for t in part]


def load_preferences(path: str | Path) -> list[dict[str, Any]]:
    """Rows checked (:class:`PreferenceRow`) and made conversational; nothing else is kept."""
    rows = []
    for line, raw in iter_jsonl(path):
        row = check_row(PreferenceRow, raw, path=path, line=line)
        rows.append(
            {
                "prompt": _turns(row.prompt, "user"),
                "chosen": _turns(row.chosen, "assistant"),
                "rejected": _turns(row.rejected, "assistant"),
            }
        )
    return rows


def _logged(history: list[dict[str, Any]], key: str) -> list[float]:
    return [float(e[key]) for e in history if key in e]


def train_dpo(recipe: DPORecipe) -> dict[str, Any]:
    """Train, save the model and tokenizer to ``output_dir/final``; returns the loss and the
    chosen-minus-rejected reward margin of every logged step."""
    rows = load_preferences(recipe.data)
    mixed = load_preferences(recipe.mix) if recipe.mix is not None else []
    path = model_path(recipe.model, "train dpo")

    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    tokenizer, model = load_model(path)
    args = DPOConfig(
        **fixed_args(),
        output_dir=str(recipe.output_dir),
        beta=recipe.beta,
        num_train_epochs=recipe.epochs,
        max_steps=recipe.max_steps,
        learning_rate=recipe.learning_rate,
        per_device_train_batch_size=recipe.batch_size,
        gradient_accumulation_steps=recipe.gradient_accumulation,
        max_length=recipe.max_length,
        precompute_ref_log_probs=recipe.precompute_ref_log_probs,
        seed=recipe.seed,
    )
    trainer = DPOTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows + mixed),
        processing_class=tokenizer,
    )
    result = trainer.train()
    final = save_final(trainer, tokenizer, recipe, recipe.output_dir)
    history = trainer.state.log_history
    return {
        "steps": result.global_step,
        "pairs": len(rows),
        "mixed": len(mixed),
        "losses": _logged(history, "loss"),
        "margins": _logged(history, "rewards/margins"),
        "model": str(final),
        "train_loss": result.training_loss,
    }


def dpo(recipe: DPORecipe) -> list[str]:
    """Direct preference optimisation on preference rows (`lmforge train dpo`; LongReward's
    `lmforge longreward dpo`): the figures a user checks first; with ``--accelerate-config``,
    the ``accelerate launch`` command (``training.launch``)."""
    if recipe.accelerate_config is not None:
        from lmforge.training.launch import launch_lines, plan_launch

        for data in (recipe.data, recipe.mix):
            if data is not None:
                load_preferences(data)  # a bad row stops here, not in each launched process
        recipe_file = recipe.output_dir / "launch-recipe.yaml"
        return launch_lines(
            plan_launch(recipe, ("train", "dpo"), recipe_file), launch=recipe.launch
        )
    result = train_dpo(recipe)
    margins = result["margins"]
    return [
        f"steps: {result['steps']}",
        f"pairs: {result['pairs']} (+{result['mixed']} mixed)",
        f"train_loss: {result['train_loss']:.4f}",
        f"last_margin: {margins[-1]:.4f}" if margins else "last_margin: -",
        f"model: {result['model']}",
    ]
