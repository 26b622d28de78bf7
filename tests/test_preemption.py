"""Runs that survive clusters: SIGTERM/SIGINT stop with a checkpoint and resume bit for bit; one
writer per workdir; unreadable checkpoints are never trained over or rotated away."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
from tiny import tiny_bitflip

import hemjax as hem
from hemjax.checkpoint import Checkpointer, CheckpointError
from hemjax.preemption import Interrupted
from hemjax.train import Trainer
from hemjax.workdir_lock import WorkdirLock, WorkdirLocked


def tiny_config(workdir: Path, **overrides):
    """The shared tiny bit-flip config with a checkpoint after every chunk, the last 2 kept."""
    return tiny_bitflip(workdir, **{"checkpoint_every": 5, "keep_checkpoints": 2, **overrides})


def leaves(train_state):
    return [np.asarray(x) for x in jax.tree.leaves(train_state.learner_state)]


def digest(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under `directory`."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("reference")
    return workdir, leaves(hem.run(tiny_config(workdir)))


def _signal_on(monkeypatch, cls, method: str, call: int, number: int):
    """Sends `number` to this process at the `call`-th call of cls.method (1-based)."""
    original = getattr(cls, method)
    calls = {"n": 0}

    def patched(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            os.kill(os.getpid(), number)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, patched)


class _ChunkCalls:
    """Trainer.chunk is a compiled function stored on the instance; wrap it after __init__."""

    def __init__(self, monkeypatch, call: int, number: int):
        original_init = Trainer.__init__

        def init(trainer, config):
            original_init(trainer, config)
            chunk, calls = trainer.chunk, {"n": 0}

            def signalling_chunk(*args):
                calls["n"] += 1
                if calls["n"] == call:
                    os.kill(os.getpid(), number)  # arrives while this chunk is in flight
                return chunk(*args)

            trainer.chunk = signalling_chunk

        monkeypatch.setattr(Trainer, "__init__", init)


@pytest.mark.parametrize(
    "where, number",
    [
        ("mid-chunk", signal.SIGTERM),
        ("during a save", signal.SIGTERM),
        ("mid-chunk", signal.SIGINT),
    ],
)
def test_signal_stops_with_a_checkpoint_and_resume_is_bitwise_identical(
    reference, tmp_path, monkeypatch, where, number
):
    _, expected = reference
    with monkeypatch.context() as patch:
        if where == "mid-chunk":
            _ChunkCalls(patch, call=3, number=number)
        else:
            _signal_on(patch, Checkpointer, "save", call=2, number=number)
        with pytest.raises(Interrupted) as stopped:
            hem.run(tiny_config(tmp_path))
    assert stopped.value.saved and stopped.value.exit_status == 128 + number
    assert 10 <= stopped.value.iteration < hem.load(str(reference[0])).iteration
    assert hem.load(str(tmp_path)).iteration == stopped.value.iteration
    assert signal.getsignal(number) is not None  # handlers restored
    got = leaves(hem.run(tiny_config(tmp_path)))
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


def test_a_second_run_on_a_locked_workdir_is_refused(tmp_path):
    with WorkdirLock(str(tmp_path)):
        with pytest.raises(WorkdirLocked, match=f"process {os.getpid()}"):
            hem.run(tiny_config(tmp_path))
    assert not (tmp_path / "checkpoints").exists()  # refused before anything was written
    assert not (tmp_path / "LOCK").exists()  # released by its holder


def test_a_stale_lock_is_taken_over(tmp_path, caplog):
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = int(finished.stdout)
    (tmp_path / "LOCK").write_text(f'{{"host": "{os.uname().nodename}", "pid": {dead}}}')
    with WorkdirLock(str(tmp_path)):
        assert str(os.getpid()) in (tmp_path / "LOCK").read_text()
    assert "no longer exists" in caplog.text


def test_all_checkpoints_unreadable_refuses_and_changes_nothing(reference, tmp_path):
    workdir = tmp_path / "corrupt"
    shutil.copytree(reference[0], workdir)
    for path in (workdir / "checkpoints").rglob("*"):
        if path.is_file() and path.parent.name == "d":
            path.write_bytes(b"garbage")
    before = digest(workdir / "checkpoints")
    with pytest.raises(CheckpointError, match="none of the checkpoints"):
        hem.run(tiny_config(workdir))
    assert digest(workdir / "checkpoints") == before


def test_newest_checkpoint_unreadable_is_moved_aside_and_rewritten(reference, tmp_path):
    _, expected = reference
    workdir = tmp_path / "newest"
    shutil.copytree(reference[0], workdir)
    newest = max(int(p.name) for p in (workdir / "checkpoints").iterdir() if p.name.isdigit())
    for path in (workdir / "checkpoints" / str(newest)).rglob("*"):
        if path.is_file() and path.parent.name == "d":
            path.write_bytes(b"garbage")
    got = leaves(hem.run(tiny_config(workdir)))  # resumes one chunk earlier, saves newest again
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    assert hem.load(str(workdir)).iteration == newest
    kept = list((workdir / "checkpoints_unreadable").iterdir())
    assert len(kept) == 1 and kept[0].name.startswith(f"{newest}-")


def test_target_success_stops_at_the_first_chunk_that_reaches_it(tmp_path):
    full = hem.run(tiny_config(tmp_path / "full", total_env_steps=16 * 8 * 80))
    first = next(r for r in full.history if r["eval_success"] >= 0.5)
    stopped = hem.run(
        tiny_config(tmp_path / "target", total_env_steps=16 * 8 * 80, target_success=0.5)
    )
    assert stopped.history[-1]["iteration"] == first["iteration"]
    assert stopped.history[-1]["target_reached"]
    assert not any(r["target_reached"] for r in stopped.history[:-1])
    assert hem.load(str(tmp_path / "target")).iteration == first["iteration"]


@pytest.mark.parametrize("minutes, kept", [(1e-9, 5), (0.0, 1)])
def test_time_based_checkpoint_cadence(tmp_path, minutes, kept):
    """Without checkpoint_every, a checkpoint lands at the first chunk boundary after every
    checkpoint_every_minutes (here: every chunk, or only the final one when 0)."""
    config = tiny_config(tmp_path, checkpoint_every=0, keep_checkpoints=5)
    config.checkpoint_every_minutes = minutes
    chunks = [r["iteration"] for r in hem.run(config).history]
    steps = sorted(int(p.name) for p in (tmp_path / "checkpoints").iterdir() if p.name.isdigit())
    assert steps == chunks[-kept:]


@pytest.mark.parametrize("algo", ["her", "hpg"])
def test_baselines_resume_bitwise_after_a_signal(tmp_path, monkeypatch, algo):
    """The driver's stop-and-resume holds for every learner: HER's target networks and
    normaliser statistics, and HPG's buffer-less state, come back exactly."""
    config = dict(algo=algo, total_env_steps=16 * 8 * 20, hidden_sizes=(16,))
    expected = leaves(hem.run(tiny_config(tmp_path / "reference", **config)))
    with monkeypatch.context() as patch:
        _ChunkCalls(patch, call=2, number=signal.SIGTERM)
        with pytest.raises(Interrupted):
            hem.run(tiny_config(tmp_path / "stopped", **config))
    got = leaves(hem.run(tiny_config(tmp_path / "stopped", **config)))
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


def test_resuming_with_another_algo_is_refused(reference, tmp_path):
    workdir = tmp_path / "algo"
    shutil.copytree(reference[0], workdir)
    before = digest(workdir / "checkpoints")
    with pytest.raises(hem.ConfigError, match="algo: saved 'hem', now 'her'"):
        hem.run(tiny_config(workdir, algo="her"))
    assert digest(workdir / "checkpoints") == before
