"""Failover across two real OpenAI-compatible servers on 127.0.0.1, one killed mid-run.

Each server is our ``openai_server`` app over a scripted backend that takes a few milliseconds
per answer, in its own process under uvicorn, so that killing it (SIGKILL) drops its sockets
the way a crashed vLLM would. A job of 200 records runs through one ``openai:`` spec naming
both; server A is killed after 60 records and started again on the same port at record 110,
and the records after that wait until the pool has seen it come back. The run must finish with
every id once, every answer the one its record asked for, and the per-endpoint counts in the
summary showing A before the kill, the failover to B, and A again after its restart.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time

import httpx

from lmforge.llm.endpoints import EndpointPool, endpoint_stats
from lmforge.llm.registry import get_llm
from lmforge.pipeline.jobs import Job, JobConfig
from lmforge.pipeline.runner import Stage

SERVER = """
import asyncio, sys, uvicorn
from lmforge.llm.base import LLM
from lmforge.llm.openai_server import create_app
from lmforge.llm.types import Completion, Usage

class Echo(LLM):
    spec = "echo"
    async def _generate(self, messages, config):
        await asyncio.sleep(0.004)
        return Completion(text="echo:" + messages[-1].text, finish_reason="stop", usage=Usage(
            prompt_tokens=1, completion_tokens=1))

uvicorn.run(create_app(Echo(), "echo"), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="error", timeout_keep_alive=30)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stderr=subprocess.PIPE)


def wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"server on {port} did not start")


def test_two_servers_one_killed_and_restarted_mid_run(tmp_path):
    ports = [free_port(), free_port()]
    procs = [start(p) for p in ports]
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_healthy(port, proc)
        url_a, url_b = (f"http://127.0.0.1:{p}/v1" for p in ports)
        llm = get_llm(f"openai:echo@{url_a},{url_b}#limit=4", cache=False)
        assert isinstance(llm, EndpointPool)
        llm.probe_base, llm.probe_max = 0.05, 0.2
        resumed = asyncio.Event()
        seen: dict[str, dict] = {}

        async def answer(record: dict, ctx) -> dict:
            n = int(record["id"])
            if n == 60:
                procs[0].send_signal(signal.SIGKILL)
                procs[0].wait()
                seen["kill"] = {k: dict(v) for k, v in llm.stats().items()}
            if n == 110:
                procs[0] = await asyncio.to_thread(start, ports[0])
                await asyncio.to_thread(wait_healthy, ports[0], procs[0])
                while not llm.is_up(url_a):
                    await asyncio.sleep(0.02)
                seen["back"] = {k: dict(v) for k, v in llm.stats().items()}
                resumed.set()
            elif n > 110:
                await resumed.wait()
            reply = await ctx.generate(f"record {n}", max_tokens=8)
            return {**record, "answer": reply.text}

        records = [{"id": str(i)} for i in range(200)]
        job = Job("failover", JobConfig(), out=tmp_path / "run", quiet=True, llm=llm)
        asyncio.run(job.run([Stage("ask", answer)], records, file="out.jsonl"))
        summary = job.finish(counts={"endpoints": endpoint_stats(llm)})
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()

    rows = [json.loads(line) for line in (tmp_path / "run" / "out.jsonl").read_text().splitlines()]
    assert sorted(int(r["id"]) for r in rows) == list(range(200))  # every id, once
    assert all(r["answer"] == f"echo:record {r['id']}" for r in rows)
    assert (summary["done"], summary["failed"]) == (200, 0)
    written = json.loads((tmp_path / "run" / "summary.json").read_text())
    a, b = written["endpoints"][url_a], written["endpoints"][url_b]
    assert a["ok"] + b["ok"] == 200  # one answer per record, from one server or the other
    assert seen["kill"][url_a]["ok"] > 0  # A served before it was killed
    assert a["failovers"] >= 1 and a["marked_down"] >= 1 and a["came_back"] >= 1
    assert a["ok"] > seen["back"][url_a]["ok"]  # and again after its restart
    assert b["ok"] > 0 and b["failovers"] == 0
