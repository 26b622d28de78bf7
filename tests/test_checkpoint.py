"""Checkpoints: bitwise-exact resume after SIGKILL, corrupt checkpoints skipped, config checks."""

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

import hemjax as hem
from hemjax.checkpoint import Checkpointer, check_resumable
from hemjax.train import _due

ROOT = Path(__file__).parents[1]
FLAGS = [
    "--config=experiments/configs/default.py",
    "--config.env_kwargs.num_bits=10",
    "--config.num_envs=32",
    "--config.buffer_episodes=256",
    "--config.batch_size=128",
    "--config.hidden_sizes=(64,)",
    "--config.total_env_steps=16000",  # simulated env steps: about 60 iterations
    "--config.eval_every=5",
    "--config.checkpoint_every=5",
    "--config.keep_checkpoints=2",
    "--config.eval_episodes=64",
    "--config.progress_bar=False",
    "--config.log_tensorboard=False",
]


def _command(workdir, cache):
    return [
        sys.executable,
        "experiments/train.py",
        f"--workdir={workdir}",
        f"--compilation_cache={cache}",
        *FLAGS,
    ]


def _run(workdir, cache):
    subprocess.run(_command(workdir, cache), cwd=ROOT, check=True, capture_output=True, timeout=300)


def _steps(workdir):
    directory = Path(workdir) / "checkpoints"
    names = os.listdir(directory) if directory.exists() else []
    return sorted(int(n) for n in names if n.isdigit()), [n for n in names if "tmp" in n]


def _kill_when(workdir, cache, condition, limit=240.0):
    """Starts a run and SIGKILLs it as soon as condition(steps, tmp_dirs) holds; returns the
    checkpoint steps and unfinished saves seen at the kill, or None if the run ended first."""
    process = subprocess.Popen(
        _command(workdir, cache), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + limit
    seen = None
    while process.poll() is None and time.monotonic() < deadline:
        seen = _steps(workdir)
        if condition(*seen):
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    return seen if process.wait() == -signal.SIGKILL else None


def _state_leaves(workdir):
    return jax.tree.leaves(jax.device_get(hem.load(str(workdir)).learner_state))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    base = tmp_path_factory.mktemp("resume")
    cache = base / "cache"
    _run(base / "reference", cache)
    return base, cache, _state_leaves(base / "reference")


def test_sigkill_at_several_points_then_resume_is_bitwise_identical(reference):
    base, cache, expected = reference
    workdir = base / "killed"
    kill_points = [
        lambda steps, tmp: True,  # at once: before anything is saved
        lambda steps, tmp: bool(tmp),  # while a save is being written
        lambda steps, tmp: len(steps) >= 1 and steps[-1] >= 20,  # mid-run, after saves
        lambda steps, tmp: bool(tmp) and steps and steps[-1] >= 30,  # during a later save
    ]
    seen = [_kill_when(workdir, cache, condition) for condition in kill_points]
    print(f"\nkill points (checkpoint steps, unfinished saves): {seen}")
    killed = [s for s in seen if s is not None]
    assert len(killed) >= 3, seen  # at least three runs really died mid-way
    assert any(tmp for _, tmp in killed), seen  # one of them during a save
    _run(workdir, cache)  # resumes and finishes
    got = _state_leaves(workdir)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    assert hem.load(str(workdir)).iteration == hem.load(str(base / "reference")).iteration


def test_corrupt_latest_checkpoint_is_skipped_with_a_warning(reference, caplog):
    base, _, _ = reference
    workdir = base / "corrupt"
    shutil.copytree(base / "reference", workdir)
    steps, _ = _steps(workdir)
    assert len(steps) == 2  # keep_checkpoints
    older, newest = steps
    latest = workdir / "checkpoints" / str(newest) / "state"
    for path in latest.rglob("*"):
        if path.is_file() and path.parent.name == "d":
            path.write_bytes(b"garbage")
    (workdir / "checkpoints" / f"{newest + 5}.orbax-checkpoint-tmp-1").mkdir()  # a cut save
    with caplog.at_level(logging.WARNING):
        state = hem.load(str(workdir))
    assert state.iteration == older
    assert any(
        str(newest) in r.getMessage() and "skipping" in r.getMessage() for r in caplog.records
    )


def test_resume_with_a_changed_model_fails_naming_the_fields(reference):
    base, cache, _ = reference
    workdir = base / "changed"
    shutil.copytree(base / "reference", workdir)
    before = _steps(workdir)[0]
    command = _command(workdir, cache) + [
        "--config.hidden_sizes=(32,)",
        "--config.learning_rate=0.01",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "hidden_sizes" in result.stderr and "learning_rate" in result.stderr
    assert _steps(workdir)[0] == before  # nothing saved was touched


def test_resume_may_extend_the_budget(reference):
    base, cache, expected = reference
    workdir = base / "extended"
    shutil.copytree(base / "reference", workdir)
    command = _command(workdir, cache) + ["--config.total_env_steps=19200"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=300)
    state = hem.load(str(workdir))
    reference = hem.load(str(base / "reference"))
    assert (
        state.history[:-1][: len(reference.history)] == reference.history[: len(state.history) - 1]
    )
    assert state.history[-1]["env_steps"] >= 19200 > reference.history[-1]["env_steps"]
    assert state.iteration > reference.iteration


def test_non_finite_training_stops_without_saving(tmp_path):
    config = hem.default_config(
        "bitflip",
        num_bits=6,
        num_envs=16,
        buffer_episodes=64,
        batch_size=32,
        learning_rate=1e38,
        total_env_steps=16 * 6 * 4,
        eval_every=2,
        checkpoint_every=2,
        progress_bar=False,
        log_tensorboard=False,
        workdir=str(tmp_path),
    )
    with pytest.raises(FloatingPointError, match="non-finite"):
        hem.run(config)
    assert _steps(tmp_path) == ([], [])


def test_load_without_checkpoints_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no readable checkpoint"):
        hem.load(str(tmp_path))


def test_save_snapshots_state_and_metadata_when_called(tmp_path):
    """The training loop donates the state to the next chunk and keeps appending to the history
    while the save is written; what lands on disk is what was passed at the call."""
    checkpointer = Checkpointer(str(tmp_path), keep=2)
    state = {"w": jax.numpy.arange(4.0)}
    history = [{"iteration": 5}]
    checkpointer.save(5, state, {"history": history})
    history.append({"iteration": 10})
    overwrite = jax.jit(lambda tree: jax.tree.map(lambda x: x * 0 - 1, tree), donate_argnums=0)
    overwrite(state)
    template = {"w": jax.ShapeDtypeStruct((4,), np.float32)}
    _, restored, meta = checkpointer.restore_latest(lambda meta: template, move_unreadable=False)
    checkpointer.close()
    np.testing.assert_array_equal(np.asarray(restored["w"]), np.arange(4.0))
    assert meta["history"] == [{"iteration": 5}]


def test_a_checkpoint_from_before_a_new_field_resumes_at_the_fields_default():
    config = hem.default_config("bitflip")
    saved = json.loads(config.to_json())
    del saved["sample_weighting"], saved["env_kwargs"]["max_steps"]  # fields added later
    check_resumable(saved, config)  # at their defaults: resumable
    changed = hem.default_config("bitflip", sample_weighting="transition")
    with pytest.raises(hem.ConfigError, match="sample_weighting: saved 'episode'"):
        check_resumable(saved, changed)


@pytest.mark.parametrize(
    ("iteration", "last_saved", "due"),
    [
        (100, 0, True),  # on a multiple
        (90, 0, False),
        (1643, 1600, False),  # a budget-cut chunk, then chunks off the multiples
        (1743, 1643, True),  # 1700 was passed
        (1843, 1743, True),
        (1799, 1743, False),
    ],
)
def test_checkpoint_every_saves_once_a_multiple_is_passed(iteration, last_saved, due):
    config = hem.default_config("bitflip", checkpoint_every=100)
    assert _due(iteration, last_saved, config, seconds_since_save=0.0) is due
