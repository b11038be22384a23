"""Extraction through a server: target tokens/s of ``lmforge distill extract`` with the teacher
behind an OpenAI-compatible ``/v1/completions`` (``prompt_logprobs=K``) against the same teacher
in process, over the same windows, in the same run.

The server is lmforge's own (``openai_server`` over the hf backend, uvicorn in a thread of this
process), so the ratio is the cost of the HTTP path on one machine: one window per request
(in process: batches of 4), K entries per position written as JSON by the server (each with
its decoded token, as vLLM does), sent over loopback and parsed back by the client. Against
vLLM the server's side is vLLM's; the client's parse is what stays. A first round warms both
up; then rounds alternate (best of each).

    python benchmarks/distill_http_teacher.py [--teacher hf:embedded-tiny] [--windows 16] [-k 50]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "examples" / "distill" / "lectures.jsonl"


def serve(teacher) -> tuple[str, object]:
    import uvicorn

    from lmforge.llm.hf import HFLLM
    from lmforge.llm.openai_server import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(HFLLM(teacher.model, teacher.tokenizer, spec="hf:teacher"), "teacher")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}/v1", server


def main() -> None:
    import lmforge.distill.extraction as ex
    from lmforge.distill import ExtractConfig, extract, load_teacher

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher", default="hf:embedded-tiny")
    ap.add_argument("--windows", type=int, default=16)
    ap.add_argument("--window", type=int, default=128)
    ap.add_argument("-k", "--top-k", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    local = load_teacher(args.teacher)
    url, server = serve(local)
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = Path(tmp) / "tokenizer"
        local.tokenizer.save_pretrained(tokenizer)
        remote = load_teacher(
            f"openai:teacher@{url}#tokenizer={tokenizer},vocab={local.vocab_size},limit=4"
        )
        corpus = Path(tmp) / "corpus.jsonl"
        corpus.write_text(CORPUS.read_text())
        rates: dict[str, list[float]] = {"in_process": [], "http": []}
        for i in range(-1, args.rounds):  # round -1 warms both up and is not counted
            order = ["in_process", "http"] if i % 2 == 0 else ["http", "in_process"]
            for side in order:
                teacher = local if side == "in_process" else remote
                ex.load_teacher_for = lambda _cfg, t=teacher: t  # the loaded teacher, no reload
                cfg = ExtractConfig(
                    input=corpus,
                    store=Path(tmp) / f"{side}-{i}",
                    teacher=teacher.spec,
                    top_p=0.95,
                    top_k=args.top_k,
                    window=args.window,
                    batch_size=4,
                    max_windows=args.windows,
                )
                start = time.perf_counter()
                figures = extract(cfg, quiet=True)
                wall = time.perf_counter() - start
                if i >= 0:
                    rates[side].append(figures["windows"] * (args.window - 1) / wall)
    server.should_exit = True
    best = {side: max(r) for side, r in rates.items()}
    for side, r in rates.items():
        print(f"{side}_tokens_s: {best[side]:.0f}  (rounds: {' '.join(f'{x:.0f}' for x in r)})")
    print(f"ratio_http_vs_in_process: {best['http'] / best['in_process']:.2f}")


if __name__ == "__main__":
    main()
