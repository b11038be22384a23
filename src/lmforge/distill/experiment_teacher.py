"""The experiment's teacher: a word-level tokenizer and an LM trained on the corpus, once.

When the grid has online rows, the teacher's own training forward passes are recorded while it
trains (:class:`~.online.OnlineRecorder`, the paper's "online logits"): its first and last
``online_fraction`` of steps go into ``RUN/online`` as separate shards tagged with their teacher
steps, so students train on early or late records without an extra inference pass.

Resumable like the rest of the experiment: ``teacher.json`` is written last; a run killed before
it retrains the teacher (and re-records the online store) from scratch.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from .schedules import LRSchedule, lr_at

__all__ = ["online_ranges", "train_teacher"]


def online_ranges(cfg: Any) -> dict[str, tuple[int, int]]:
    """Teacher step ranges (first, last; inclusive) of the early and late online records."""
    n = max(1, int(round(cfg.teacher_steps * cfg.online_fraction)))
    last = cfg.teacher_steps - 1
    return {"online_early": (0, n - 1), "online_late": (max(0, last - n + 1), last)}


def wants_online(cfg: Any) -> bool:
    return any(v.logits != "offline" for v in cfg.variants)


def _train_lm(model: Any, windows: np.ndarray, cfg: Any, recorder: Any = None) -> None:
    """Plain LM training of the teacher (cosine LR on the shared phases); with a recorder, the
    forward passes of the early and late step ranges are recorded as they happen."""
    import torch

    from .losses import lm_loss

    ranges = online_ranges(cfg)
    early, late = ranges["online_early"], ranges["online_late"]
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.teacher_lr)
    schedule = LRSchedule(shape="cosine", peak=cfg.teacher_lr)
    model.train()
    for step in range(cfg.teacher_steps):
        for group in optim.param_groups:
            group["lr"] = lr_at(step, cfg.teacher_steps, schedule, cfg.phases)
        pick = np.random.default_rng([cfg.teacher.seed, step]).choice(len(windows), cfg.batch_size)
        batch = windows[pick]
        tokens = torch.from_numpy(batch.astype(np.int64))
        logits = model(input_ids=tokens).logits
        if recorder is not None and (step <= early[1] or step >= late[0]):
            recorder.record(step, batch, logits)
            if step == early[1]:
                recorder.flush()  # early and late records never share a shard
        lm_loss(logits, tokens).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        optim.zero_grad(set_to_none=True)
    model.eval()


def train_teacher(cfg: Any, run: Any, corpus: Path) -> dict[str, Any]:
    """Train (once) and save the teacher with its tokenizer; its held-out perplexity."""
    import torch

    from lmforge.errors import InputError

    from .corpus import word_tokenizer
    from .extraction import tokenize_corpus
    from .losses import lm_loss
    from .online import OnlineRecorder
    from .student import build_model, parameter_count

    folder, info_path, online = run / "teacher", run / "teacher.json", run / "online"
    if info_path.is_file():
        info = json.loads(info_path.read_text())
        if wants_online(cfg) and "online" not in info:
            raise InputError(
                "this run's teacher was trained without online records; use a new --out",
                path=run.path,
            )
        return info
    shutil.rmtree(online, ignore_errors=True)  # a killed run's partial records
    texts = [json.loads(line)["text"] for line in corpus.read_text().splitlines()]
    tokenizer = word_tokenizer(texts, cfg.vocab_size)
    windows = tokenize_corpus(corpus, tokenizer, cfg.window, cfg.max_windows)
    held = max(1, int(round(len(windows) * cfg.eval_fraction)))
    model = build_model(cfg.teacher, len(tokenizer), max(cfg.window, 64))
    recorder = None
    if wants_online(cfg):
        recorder = OnlineRecorder(
            online,
            tokenizer=tokenizer,
            vocab_size=len(tokenizer),
            window=cfg.window,
            top_p=cfg.top_p,
            top_k=cfg.top_k,
            spec="online:experiment-teacher",
        )
    began = time.perf_counter()
    _train_lm(model, windows[:-held], cfg, recorder)
    if recorder is not None:
        recorder.close()
    with torch.no_grad():
        tokens = torch.from_numpy(windows[-held:].astype(np.int64))
        losses = [float(lm_loss(model(input_ids=t).logits, t)) for t in tokens.split(32)]
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    info: dict[str, Any] = {
        "parameters": parameter_count(model),
        "eval_ppl": round(math.exp(float(np.mean(losses))), 2),
        "windows": int(len(windows)),
        "seconds": round(time.perf_counter() - began, 1),
    }
    if recorder is not None:
        info["online"] = {k: list(v) for k, v in online_ranges(cfg).items()}
    info_path.write_text(json.dumps(info))
    return info
