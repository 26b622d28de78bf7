"""Adversarial cases for the launcher and the API: every user-caused failure must be one line and
a non-zero exit, never a traceback; runs that should succeed must succeed.

    python experiments/robustness.py [--only=NAME,...] [--cheap_only]

Writes experiments/results/robustness/cases.csv (one row per case: exit status, error lines,
tracebacks, whether the outcome was the expected one) and prints the table. A partial run
(--only, --cheap_only) replaces the rows of its cases and keeps the others. Messages name no
machine: the cases' temp folder is written as <tmp>, and the host and process id of the lock
planted by "workdir locked by a live run" as <host> and <pid> (`scrub`).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from absl import app, flags

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flag_checks import define_choice_list  # noqa: E402

from hemjax.logger import write_csv  # noqa: E402

_CHEAP_ONLY = flags.DEFINE_bool("cheap_only", False, "Only the cases that fail before compiling.")
_OUT = flags.DEFINE_string("out", str(ROOT / "experiments/results/robustness"), "Output dir.")

TINY = [
    "--config.env_kwargs.num_bits=8",
    "--config.num_envs=16",
    "--config.buffer_episodes=128",
    "--config.batch_size=64",
    "--config.total_env_steps=5120",  # 40 iterations
    "--config.eval_every=5",
    "--config.checkpoint_every=5",
    "--config.eval_episodes=32",
    "--config.progress_bar=False",
    "--config.log_tensorboard=False",
    "--config.compilation_cache=",
]


@dataclasses.dataclass(frozen=True)
class Case:
    """One launcher or Python invocation and what must come of it."""

    name: str
    args: tuple[str, ...] = ()  # launcher flags after TINY (the workdir is added)
    python: str = ""  # instead of the launcher: this code, with WORKDIR bound to the workdir
    setup: Callable[[Path], None] | None = None  # prepares the workdir first
    expect_success: bool = False
    cheap: bool = True  # fails before compiling anything
    signal_after: float = 0.0  # seconds after start to send `signal_number` (0: none)
    signal_number: int = signal.SIGTERM
    devices: int = 1  # forced CPU devices
    workdir_arg: bool = True


def _trained(workdir: Path) -> None:
    _launch(workdir, TINY)


def _corrupt_all(workdir: Path) -> None:
    _trained(workdir)
    for path in (workdir / "checkpoints").rglob("*"):
        if path.is_file() and path.parent.name == "d":
            path.write_bytes(b"garbage")


def _lock_holder() -> tuple[str, int]:
    """(host, pid) that `_held_lock` writes into the lock: this process's."""
    return os.uname().nodename, os.getpid()


def _held_lock(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    host, pid = _lock_holder()
    holder = {"host": host, "pid": pid, "started": time.time()}
    (workdir / "LOCK").write_text(json.dumps(holder))


def _file_workdir(workdir: Path) -> None:
    workdir.parent.mkdir(parents=True, exist_ok=True)
    workdir.write_text("not a directory")


def _file_checkpoints(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "checkpoints").write_text("not a directory")


LONG = ("--config.total_env_steps=500000",)  # still training when a signal comes at 12 s

LOAD_AND_EVALUATE = (
    "import hemjax as hem; s = hem.load(WORKDIR); print(hem.evaluate(s, num_episodes=64))"
)

CASES = [
    Case("unknown field", ("--config.nonexistent=1",)),
    Case("misspelt field", ("--config.learning_ratee=0.1",)),
    Case("env argument of another env", ("--config.env_kwargs.dim=3",)),
    Case("missing config file", ("--config=experiments/configs/missing.py",)),
    Case("unknown recipe", ("--config=experiments/configs/default.py:no_such_recipe",)),
    Case("num_envs 0", ("--config.num_envs=0",)),
    Case("num_envs not a number", ("--config.num_envs=abc",)),
    Case("negative learning rate", ("--config.learning_rate=-1",)),
    Case("unknown hindsight", ("--config.hindsight=sometimes",)),
    Case("unknown algo", ("--config.algo=sac",)),
    Case("negative seed", ("--config.seed=-1",)),
    Case("seed that aliases seed 0", ("--config.seed=4294967296",)),
    Case("num_bits 0", ("--config.env_kwargs.num_bits=0",)),
    Case("max_steps 0", ("--config.env_kwargs.max_steps=0",)),
    Case("budget under one iteration", ("--config.total_env_steps=10",)),
    Case("checkpoint_every not a multiple", ("--config.checkpoint_every=3",)),
    Case("eval_every 0", ("--config.eval_every=0",)),
    Case("zero-width layer", ("--config.hidden_sizes=(0,)",)),
    Case("num_envs not divisible by devices", ("--config.num_envs=15",), devices=2),
    Case("stray positional argument", ("extra",)),
    Case("unknown launcher flag", ("--nonsense=1",)),
    Case("workdir is a file", setup=_file_workdir),
    Case("workdir/checkpoints is a file", setup=_file_checkpoints),
    Case("workdir cannot be created", ("--workdir=/proc/hemjax_run",), workdir_arg=False),
    Case("workdir locked by a live run", setup=_held_lock),
    Case("buffer too large for memory", ("--config.buffer_episodes=268435456",)),
    Case("resume with a changed model", ("--config.learning_rate=0.01",), setup=_trained),
    Case("all checkpoints corrupt", setup=_corrupt_all, cheap=False),
    Case("non-finite loss", ("--config.learning_rate=1e38",), cheap=False),
    Case("SIGTERM mid-run", LONG, signal_after=12.0, cheap=False),
    Case("SIGINT mid-run", LONG, signal_after=12.0, signal_number=signal.SIGINT, cheap=False),
    Case("SIGINT while compiling", signal_after=3.5, signal_number=signal.SIGINT, cheap=False),
    Case("help", ("--help",), expect_success=True),
    Case("tiny run", expect_success=True, cheap=False),
    Case(
        "resume with a larger budget",
        ("--config.total_env_steps=6400",),
        setup=_trained,
        expect_success=True,
        cheap=False,
    ),  # fmt: skip
    Case(
        "load and evaluate, then exit",
        python=LOAD_AND_EVALUATE,
        setup=_trained,
        expect_success=True,
        cheap=False,
    ),  # fmt: skip
    Case("load a missing workdir", python="import hemjax as hem; hem.load(WORKDIR)"),
]


_ONLY = define_choice_list(
    "only", [], [case.name for case in CASES], "Run only these cases.", allow_empty=True
)


def scrub(text: str, tmp: str, host: str, pid: int) -> str:
    """`text` without this machine's particulars: the folder `tmp` (and its real path) as <tmp>,
    the lock holder's "process PID on host HOST" as "process <pid> on host <host>"."""
    for folder in sorted({tmp, os.path.realpath(tmp)}, key=len, reverse=True):
        text = text.replace(folder, "<tmp>")
    return text.replace(f"process {pid} on host {host}", "process <pid> on host <host>")


def _launch(
    workdir: Path,
    args: Sequence[str],
    devices: int = 1,
    workdir_arg: bool = True,
    sig: tuple[float, int] | None = None,
) -> tuple[int, str, str]:
    command = [sys.executable, "experiments/train.py", *args]
    if workdir_arg:
        command.append(f"--workdir={workdir}")
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if sig is not None:
        time.sleep(sig[0])
        process.send_signal(sig[1])
    stdout, stderr = process.communicate(timeout=600)
    return process.returncode, stdout, stderr


def run_case(case: Case, base: Path) -> dict[str, Any]:
    """Runs one case in a fresh workdir under `base`; returns its row (message scrubbed of
    `base` and the lock holder, see `scrub`)."""
    workdir = base / case.name.replace(" ", "_").replace("/", "_")
    if case.setup is not None:
        case.setup(workdir)
    if case.python:
        code = f"WORKDIR = {str(workdir)!r}\n{case.python}"
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600
        )
        status, stderr = result.returncode, result.stderr
    else:
        sig = (case.signal_after, case.signal_number) if case.signal_after else None
        status, _, stderr = _launch(
            workdir, (*TINY, *case.args), case.devices, case.workdir_arg, sig
        )
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    tracebacks = stderr.count("Traceback")
    if case.expect_success:
        ok = status == 0 and tracebacks == 0
    elif case.python:  # an API error: one exception line, nothing at exit
        ok = status != 0 and tracebacks <= 1 and "during handling" not in stderr
    else:
        ok = status != 0 and tracebacks == 0 and len(errors) == 1
    message = errors[0] if errors else (stderr.strip().splitlines() or [""])[-1]
    message = scrub(message, str(base), *_lock_holder())
    return {
        "case": case.name,
        "exit_status": status,
        "error_lines": len(errors),
        "tracebacks": tracebacks,
        "as_expected": ok,
        "message": message[:160],
    }


def merged(path: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows`, with the rows the table at `path` holds for the other cases of CASES, in CASES'
    order: a partial run loses none of the earlier results."""
    old = []
    if os.path.exists(path):
        with open(path, newline="") as f:
            old = list(csv.DictReader(f))
    new = {row["case"] for row in rows}
    order = {case.name: i for i, case in enumerate(CASES)}
    kept = [row for row in old if row["case"] in order and row["case"] not in new]
    return sorted(kept + rows, key=lambda row: order[row["case"]])


def main(argv: Sequence[str]) -> None:
    del argv
    cases = [c for c in CASES if (not _ONLY.value or c.name in _ONLY.value)]
    cases = [c for c in cases if c.cheap or not _CHEAP_ONLY.value]
    if not cases:
        raise app.UsageError(
            f"--only={','.join(_ONLY.value)} --cheap_only: none of these cases is cheap"
        )
    rows = []
    with tempfile.TemporaryDirectory() as base:
        for case in cases:
            row = run_case(case, Path(base))
            rows.append(row)
            mark = "ok " if row["as_expected"] else "BAD"
            print(f"{mark} {row['exit_status']:>4} {row['case']}: {row['message']}", flush=True)
    os.makedirs(_OUT.value, exist_ok=True)
    path = os.path.join(_OUT.value, "cases.csv")
    write_csv(path, merged(path, rows))
    bad = sum(not r["as_expected"] for r in rows)
    tracebacks = sum(r["tracebacks"] for r in rows if not r["case"].startswith("load a missing"))
    print(f"{len(rows) - bad} of {len(rows)} cases as expected; {tracebacks} launcher tracebacks")


if __name__ == "__main__":
    app.run(main)
