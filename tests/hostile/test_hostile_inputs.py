"""Every file-reading command against the hostile corpus, through the real CLI.

The commands come from their declarations (``PROBES`` in each ``cli.py``, see
:mod:`lmforge.probes`); the cases from :mod:`hostile.corpus`. Each case runs
``lmforge VERB ...`` in its own process, in a fresh folder holding only its inputs. A
refused case must exit 2 with exactly one ``error:`` line on stderr naming what is broken, no
traceback, and leave nothing behind (no ``runs/``, no run folder, no output file). An accepted
case (a BOM, U+2028 in a string, a pipe) must exit 0, and so must each probe as declared.

The processes run together in a thread pool, started the first time a test asks (only the
selected cases); each test then waits for and asserts on its own result. Most cases run as a fork
of a server that has imported lmforge and the verbs once (``helpers.forkserver``: own process,
pipes, cwd, environment and exit code, no 0.3 CPU-s start-up each; ~1,600 cases went from
about 5 minutes on 2 cores to about 1). Each verb's baseline and first refusal, and every case
of ``batch``, run as a fresh ``python -m lmforge.cli`` (``fresh_case``), so the real entry point
and interpreter exit stay tested. The runs are marked ``slow``; the declaration and judge checks
are not.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from helpers.forkserver import ForkServer, NotStarted
from hostile.corpus import (
    OUT,
    OUT_NAME,
    OUTPUT,
    OUTPUT_NAME,
    REFUSED,
    Case,
    Place,
    Plant,
    cases_for,
    config_class,
    file_name,
    kind_of,
    marked_fields,
    placeholders,
    slug,
    write_valid,
)
from lmforge.probes import Probe, probed_verbs

TIMEOUT_S = 120
"""A case that hangs (a FIFO opened for reading) fails after this, it does not hang the suite."""
WORKERS = max(2, min(16, 2 * (os.cpu_count() or 2)))

VERBS: list[tuple[str, Any, Probe | None]] = list(probed_verbs())
PROBED: dict[str, tuple[Any, Probe]] = {
    words: (verb, probe) for words, verb, probe in VERBS if probe is not None and not probe.skip
}
CASES: dict[str, list[Case]] = {w: cases_for(w, v, p) for w, (v, p) in PROBED.items()}
BASELINES = [
    pytest.param(w, cases[0], id=slug(w))
    if not PROBED[w][1].refusals_only
    else pytest.param(
        w, None, id=slug(w), marks=pytest.mark.skip(reason=PROBED[w][1].refusals_only)
    )
    for w, cases in CASES.items()
]
BASELINES += [
    pytest.param(w, None, id=slug(w), marks=pytest.mark.skip(reason=f"{w}: {p.skip}"))
    for w, _, p in VERBS
    if p is not None and p.skip
]
BROKEN = [pytest.param(w, c, id=c.id) for w, cases in CASES.items() for c in cases[1:]]
FRESH_VERBS = ("batch",)
"""Verbs whose every case runs as a fresh interpreter (``python -m lmforge.cli``)."""


def fresh_case(words: str, case: Case) -> bool:
    """Whether ``case`` runs in a fresh interpreter rather than a fork of the warm server: each
    verb's baseline and first refusal, and all of ``FRESH_VERBS``."""
    cases = CASES[words]
    first_refusal = next((c for c in cases if c.expect == REFUSED), None)
    return words in FRESH_VERBS or case is cases[0] or case is first_refusal


# ----------------------------------------------------------------------------- running one case


@dataclass
class Outcome:
    argv: list[str]
    rc: int | None = None
    stdout: str = ""
    stderr: str = ""
    names: tuple[str, ...] = ()
    """What the error line must name (any one of them)."""
    changed: list[str] = field(default_factory=list)
    """What the run left in its folder: ``+new``, ``~modified``, ``-removed``."""
    timed_out: bool = False
    seconds: float = 0.0
    error: str = ""
    """Why the case could not be run at all (a broken builder, no sample run)."""

    def show(self) -> str:
        cmd = " ".join(self.argv[2:])
        err, out = self.stderr[-2000:], self.stdout[-600:]
        took = f"exit {self.rc} after {self.seconds:.1f} s"
        return f"$ {cmd}\n{took}\nstderr:\n{err}\nstdout:\n{out}"


def snapshot(root: Path) -> dict[str, tuple[int, ...]]:
    """Every entry under ``root`` (symlinks not followed): type, and size and mtime of files."""
    seen: dict[str, tuple[int, ...]] = {}

    def walk(folder: str, rel: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                key = rel + entry.name
                if stat.S_ISDIR(info.st_mode):
                    seen[key + "/"] = (stat.S_IFDIR,)
                    walk(entry.path, key + "/")
                elif stat.S_ISREG(info.st_mode):
                    seen[key] = (stat.S_IFREG, info.st_size, info.st_mtime_ns)
                else:
                    seen[key] = (stat.S_IFMT(info.st_mode),)

    walk(str(root), "")
    return seen


def changes(before: dict[str, tuple[int, ...]], after: dict[str, tuple[int, ...]]) -> list[str]:
    found = [f"+{k}" for k in after if k not in before]
    found += [f"~{k}" for k in after if k in before and after[k] != before[k]]
    found += [f"-{k}" for k in before if k not in after]
    return sorted(found, key=lambda s: s[1:])


def base_env(cache: Path) -> dict[str, str]:
    """The test process's environment, limits and cache switch dropped; the call cache and the
    classroom database private, the model files shared (as ``tests/conftest.py`` does)."""
    drop = ("LMFORGE_CACHE", "LMFORGE_CACHE_PATH", "LMFORGE_DATABASE_URL")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("LMFORGE_MAX_") and k not in drop
    }
    env["LMFORGE_HOME"] = os.environ.get("LMFORGE_HOME", str(Path.home() / ".cache" / "lmforge"))
    env["LMFORGE_CACHE_PATH"] = f"{cache}.calls.sqlite"
    env["LMFORGE_DATABASE_URL"] = f"sqlite:///{cache}.classroom.db"
    # the tree's sources are compiled once per session, into a private folder (not the repo)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache.parent / "pycache")
    return env


def lmforge_argv(words: str, args: list[str]) -> list[str]:
    return [sys.executable, "-m", "lmforge.cli", *words.split(), *args]


def execute(
    argv: list[str], cwd: Path, env: dict[str, str], plant: Plant, server: ForkServer | None = None
) -> Outcome:
    """Run the command (in a fork of ``server`` when given); a pipe is fed by a thread, a hang
    is killed with its process group."""
    outcome, given = Outcome(argv), argv
    reader = writer = None
    feeder: threading.Thread | None = None
    if plant.pipe is not None:
        reader, writer = os.pipe()
        outcome.argv = argv = [a.replace("{fd}", str(reader)) for a in argv]

        def feed(data: bytes = plant.pipe, fd: int = writer) -> None:
            try:
                with contextlib.suppress(BrokenPipeError):  # the command stopped reading
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
            finally:
                os.close(fd)

        feeder = threading.Thread(target=feed, daemon=True)
    if server is not None:
        return _execute_forked(server, outcome, given, cwd, env, plant, reader, feeder)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE if plant.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(reader,) if reader is not None else (),
            start_new_session=True,
        )
    finally:
        if reader is not None:
            os.close(reader)
    if feeder is not None:
        feeder.start()
    started = time.monotonic()
    try:
        out, err = proc.communicate(plant.stdin, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        outcome.timed_out = True
    if feeder is not None:
        feeder.join(timeout=5)
    outcome.rc, outcome.seconds = proc.returncode, time.monotonic() - started
    outcome.stdout = out.decode("utf-8", "replace")
    outcome.stderr = err.decode("utf-8", "replace")
    return outcome


def _execute_forked(
    server: ForkServer,
    outcome: Outcome,
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    plant: Plant,
    reader: int | None,
    feeder: threading.Thread | None,
) -> Outcome:
    started = time.monotonic()
    if feeder is not None:
        feeder.start()
    words = outcome.argv[3:]  # after ``python -m lmforge.cli``, ``{fd}`` filled in
    fds = (reader,) if reader is not None else ()  # handed over: closed here once sent
    try:
        done = server.run(words, cwd, env, plant.stdin, fds, timeout=TIMEOUT_S)
    except NotStarted:  # nothing ran (seen once in ~1,700 under heavy load): run it fresh
        if feeder is not None:
            feeder.join(timeout=5)
        return execute(argv, cwd, env, plant)
    if feeder is not None:
        feeder.join(timeout=5)
    outcome.rc, outcome.seconds = done.rc, time.monotonic() - started
    outcome.timed_out = done.timed_out
    outcome.stdout = done.stdout.decode("utf-8", "replace")
    outcome.stderr = done.stderr.decode("utf-8", "replace")
    return outcome


class Runner:
    """Runs the selected cases of every verb in one pool, started when the first is asked for,
    in the order of the tests (the baselines, the slowest runs, first)."""

    def __init__(self, base: Path, selected: list[tuple[str, Case]]) -> None:
        self.base = base
        self.selected = selected
        self.pool = ThreadPoolExecutor(max_workers=WORKERS)
        self.futures: dict[str, Future[Outcome]] = {}
        self._run_dir: Path | None = None
        self._lock = threading.Lock()
        self._server: ForkServer | None = None
        self._server_failed = False
        self._server_lock = threading.Lock()

    def server(self) -> ForkServer | None:
        """The warm fork server, started on first use with the cases' base environment; None
        (every case then runs fresh, slower but the same checks) when it refuses to start,
        e.g. because a verb's modules now import torch at the top."""
        with self._server_lock:
            if self._server is None and not self._server_failed:
                (self.base / "state").mkdir(exist_ok=True)
                try:
                    self._server = ForkServer(base_env(self.base / "state" / "fork-server"))
                except RuntimeError as exc:
                    self._server_failed = True
                    warnings.warn(f"hostile cases run fresh: {exc}", stacklevel=1)
            return self._server

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self._server is not None:
            self._server.close()

    def outcome(self, words: str, case: Case) -> Outcome:
        if not self.futures:
            for w, c in self.selected:
                self.futures[c.id] = self.pool.submit(self.run, w, c)
        if case.id not in self.futures:
            self.futures[case.id] = self.pool.submit(self.run, words, case)
        return self.futures[case.id].result()

    def run(self, words: str, case: Case) -> Outcome:
        try:
            return self._run(words, case)
        except Exception as exc:  # a builder that broke: the case fails with why
            return Outcome(lmforge_argv(words, []), error=f"{type(exc).__name__}: {exc}")

    def _run(self, words: str, case: Case) -> Outcome:
        verb, probe = PROBED[words]
        root = self.base / "cases" / case.id
        root.mkdir(parents=True)
        (self.base / "state").mkdir(exist_ok=True)
        marks = marked_fields(config_class(verb))
        subs = {OUT: OUT_NAME, OUTPUT: OUTPUT_NAME}
        plant, target_path = Plant(), None
        for key, sample in probe.samples.items():
            kind = kind_of(key, sample, marks)
            place = Place(root, file_name(key, kind, sample), self.run_dir)
            if key == case.target:
                plant = case.build(place)
                target_path = subs[key] = plant.path or place.name
            else:
                write_valid(kind, sample, place)
                subs[key] = place.name
        if case.target in ("config", "set", "env", OUTPUT):
            name = OUTPUT_NAME if case.target == OUTPUT else _config_name(set(subs.values()))
            plant = case.build(Place(root, name, self.run_dir))
            if case.target == OUTPUT:
                target_path = subs[OUTPUT] = plant.path or OUTPUT_NAME
        args = [_substitute(a, subs) for a in probe.args] + list(plant.args)
        names = plant.names or ((target_path, Path(target_path).name) if target_path else ())
        names = tuple(dict.fromkeys(names))
        env = {**base_env(self.base / "state" / case.id), **plant.env}
        before = snapshot(root)
        server = None if fresh_case(words, case) else self.server()
        outcome = execute(lmforge_argv(words, args), root, env, plant, server)
        outcome.changed = changes(before, snapshot(root))
        outcome.names = names
        return outcome

    def run_dir(self) -> Path:
        """A finished ``lmforge batch`` run folder, made once per session."""
        with self._lock:
            if self._run_dir is None:
                src = self.base / "sample-run"
                src.mkdir()
                (src / "in.jsonl").write_text('{"prompt": "What is 2+2?"}\n')
                argv = ["batch", "--input", "in.jsonl", "--model", "scripted", "-q", "--out", "run"]
                done = execute(
                    lmforge_argv("", argv),
                    src,
                    base_env(self.base / "state" / "sample-run"),
                    Plant(),
                )
                if done.rc != 0:
                    raise RuntimeError(f"the sample run failed:\n{done.show()}")
                self._run_dir = src / "run"
            return self._run_dir


def _config_name(taken: set[str]) -> str:
    return "config.yaml" if "config.yaml" not in taken else "cli-config.yaml"


def _substitute(arg: str, subs: dict[str, str]) -> str:
    for key, value in subs.items():
        arg = arg.replace("{" + key + "}", value)
    return arg


@pytest.fixture(scope="session")
def runner(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    selected = []
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if isinstance(params.get("case"), Case) and params.get("words") in CASES:
            selected.append((params["words"], params["case"]))
    runner = Runner(tmp_path_factory.mktemp("hostile"), selected)
    yield runner
    runner.close()


# ----------------------------------------------------------------------------- declarations


def test_every_file_reading_verb_has_a_probe():
    """A verb whose config reads a file (a ``Reads``-marked field) declares a Probe or why not."""
    missing = [
        f"{words} ({', '.join(f'{k}: {m.kind}' for k, m in marks.items())})"
        for words, verb, probe in VERBS
        if probe is None and (marks := marked_fields(config_class(verb)))
    ]
    assert not missing, "verbs that read files and declare no Probe in PROBES:\n" + "\n".join(
        missing
    )


@pytest.mark.parametrize("words", list(PROBED), ids=[slug(w) for w in PROBED])
def test_probe_is_well_formed(words: str):
    """Each placeholder is a sample or ``{out}``/``{output}``, each sample is a marked field
    and is used, rows are objects, the output option takes ``{output}``."""
    verb, probe = PROBED[words]
    marks = marked_fields(config_class(verb))
    used = placeholders(probe)
    problems = [f"{{{p}}} has no sample" for p in sorted(used - set(probe.samples) - {OUT, OUTPUT})]
    problems += [f"sample {k!r} is not used in args" for k in probe.samples if k not in used]
    problems += [
        f"sample {k!r} names no field marked JsonlPath/JsonPath/... of {verb.config}"
        for k in probe.samples
        if k not in marks
    ]
    for key, sample in probe.samples.items():
        kind = kind_of(key, sample, marks)
        if kind == "jsonl" and not (sample and all(isinstance(r, dict) for r in sample)):
            problems.append(f"sample {key!r}: expected a non-empty list of row objects")
    if probe.output is not None:
        pairs = zip(probe.args, probe.args[1:], strict=False)
        if (probe.output, "{output}") not in pairs:
            problems.append(f"output {probe.output!r} is not followed by '{{output}}' in args")
    named = {c.id.removeprefix(f"{slug(words)}-") for c in CASES[words]}
    if probe.refusals_only:  # accepted cases are left out of the list: rebuild it whole
        whole = dataclasses.replace(probe, refusals_only="")
        named = {c.id.removeprefix(f"{slug(words)}-") for c in cases_for(words, verb, whole)}
    problems += [f"accepts {a!r} names no case" for a in probe.accepts if a not in named]
    assert not problems, f"{words}: " + "; ".join(problems)


# ----------------------------------------------------------------------------- runs


@pytest.mark.slow
@pytest.mark.parametrize(("words", "case"), BASELINES)
def test_probe_runs(runner: Runner, words: str, case: Case):
    """The probe as declared succeeds: otherwise the broken runs prove nothing."""
    outcome = runner.outcome(words, case)
    assert not outcome.error, outcome.error
    assert not outcome.timed_out, f"timed out after {TIMEOUT_S} s\n{outcome.show()}"
    assert outcome.rc == 0, f"the valid probe of {words!r} failed\n{outcome.show()}"


@pytest.mark.slow
@pytest.mark.parametrize(("words", "case"), BROKEN)
def test_hostile_case(runner: Runner, words: str, case: Case):
    outcome = runner.outcome(words, case)
    assert not outcome.error, outcome.error
    problems = refusal_problems(outcome) if case.expect == REFUSED else acceptance_problems(outcome)
    assert not problems, (
        f"{case.id} ({case.expect}): " + "; ".join(problems) + "\n" + outcome.show()
    )


def refusal_problems(outcome: Outcome) -> list[str]:
    if outcome.timed_out:
        return [f"hung: killed after {TIMEOUT_S} s"]
    problems = []
    if outcome.rc != 2:
        problems.append(f"exit code {outcome.rc}, expected 2")
    if "Traceback" in outcome.stderr + outcome.stdout:
        problems.append("a traceback")
    lines = outcome.stderr.strip().split("\n") if outcome.stderr.strip() else []
    if len(lines) != 1 or not lines[0].startswith("error: "):
        problems.append(f"stderr is {len(lines)} lines, expected one 'error: ' line")
    elif outcome.names and not any(n in lines[0] for n in outcome.names):
        problems.append(f"the error names none of {list(outcome.names)}")
    if outcome.changed:
        problems.append(f"left behind: {', '.join(outcome.changed[:8])}")
    return problems


def acceptance_problems(outcome: Outcome) -> list[str]:
    if outcome.timed_out:
        return [f"hung: killed after {TIMEOUT_S} s"]
    if outcome.rc != 0:
        return [f"exit code {outcome.rc}, expected 0"]
    return []


@pytest.mark.parametrize(
    ("rc", "stderr", "changed", "flagged"),
    [
        (2, "error: input.jsonl:1: invalid JSON\n", [], ""),
        (0, "", [], "exit code 0"),
        (2, "warning: slow\nerror: input.jsonl: no such file\n", [], "2 lines"),
        (2, "run: runs/batch/1\nerror: input.jsonl: bad\n", [], "2 lines"),
        (1, "Traceback (most recent call last):\nValueError\n", [], "a traceback"),
        (2, "error: something is wrong\n", [], "names none"),
        (2, "error: input.jsonl: bad\n", ["+runs/"], "left behind: +runs/"),
    ],
)
def test_a_refusal_is_judged_strictly(rc, stderr, changed, flagged):
    """The judge itself: exit 2, one ``error:`` line naming the file, nothing left; else why."""
    outcome = Outcome(
        ["python", "-m"], rc=rc, stderr=stderr, names=("input.jsonl",), changed=changed
    )
    problems = "; ".join(refusal_problems(outcome))
    assert (flagged in problems) if flagged else not problems, problems


def test_a_snapshot_sees_what_a_run_leaves(tmp_path: Path):
    (tmp_path / "input.jsonl").write_text("{}\n")
    os.mkfifo(tmp_path / "fifo")
    before = snapshot(tmp_path)
    (tmp_path / "runs" / "batch").mkdir(parents=True)
    (tmp_path / "input.jsonl").write_text('{"changed": 1}\n')
    (tmp_path / "fifo").unlink()
    assert changes(before, snapshot(tmp_path)) == [
        "-fifo",
        "~input.jsonl",
        "+runs/",
        "+runs/batch/",
    ]
