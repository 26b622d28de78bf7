"""End to end: hEM learns a small bit-flip, each compiled function is traced once, the API works."""

import collections
import os

import jax
import numpy as np
import pytest

import hemjax as hem
from hemjax.learners.hem import Learner


@pytest.fixture(scope="module")
def traces():
    counts = collections.Counter()
    patch = pytest.MonkeyPatch()
    for name in ("iteration_step", "evaluate", "init"):
        original = getattr(Learner, name)

        def counted(self, *args, _original=original, _name=name):
            counts[_name] += 1
            return _original(self, *args)

        patch.setattr(Learner, name, counted)
    yield counts
    patch.undo()


@pytest.fixture(scope="module")
def compiles():
    """Counts XLA backend compilations (one per compiled program)."""
    counts = collections.Counter()
    jax.monitoring.register_event_duration_secs_listener(
        lambda name, secs, **kwargs: counts.update([name])
    )
    return counts


@pytest.fixture(scope="module")
def trained(traces, compiles, tmp_path_factory):
    config = hem.default_config(
        "bitflip",
        num_bits=10,
        num_envs=32,
        total_env_steps=32 * 10 * 90,
        eval_every=30,
        eval_episodes=200,
        progress_bar=False,
        num_seeds=2,
        workdir=str(tmp_path_factory.mktemp("run")),
    )
    before = compiles["/jax/core/compile/backend_compile_duration"]
    train_state = hem.run(config)
    trained_traces.update(traces)
    trained_compiles["programs"] = compiles["/jax/core/compile/backend_compile_duration"] - before
    return train_state


trained_traces = collections.Counter()  # traces made by hem.run alone
trained_compiles = collections.Counter()


def test_learns_bitflip_on_fresh_goals(trained):
    metrics = hem.evaluate(trained, num_episodes=1000, seed=777)
    assert len(metrics["per_seed"]) == 2
    assert min(metrics["per_seed"]) >= 0.95, metrics


def test_two_programs_compiled_once_each(trained):
    """init and chunk (training + evaluation) compile once for every chunk; init and
    iteration_step are traced once more, for shapes only (eval_shape)."""
    assert len(trained.history) >= 3  # at least three chunks ran, each with an evaluation
    assert trained_compiles["programs"] == 2, trained_compiles
    assert trained_traces == {"iteration_step": 2, "evaluate": 1, "init": 2}, trained_traces


def test_history_and_workdir_outputs(trained):

    steps = [r["env_steps"] for r in trained.history]
    iterations = [r["iteration"] for r in trained.history]
    # env steps count what was simulated: episodes end at their first success, so an iteration
    # of 32 episodes of at most 10 steps simulates at most 320; the run stops once the budget
    # of 28,800 is covered
    assert steps == sorted(steps) and steps[-2] < 28800 <= steps[-1]
    for before, after, i_before, i_after in zip([0, *steps], steps, [0, *iterations], iterations):
        assert 0 < after - before <= 320 * (i_after - i_before)
    assert iterations[:-1] == [30 * (i + 1) for i in range(len(iterations) - 1)]
    assert trained.history[-1]["eval_success"] > trained.history[0]["eval_success"] - 1e-9
    workdir = trained.config.workdir
    assert {"metrics.jsonl", "metrics.csv", "success.png"} <= set(os.listdir(workdir))


def test_act_returns_greedy_env_actions(trained):
    obs = np.zeros((4, 10), np.float32)
    goal = np.zeros((4, 10), np.float32)
    goal[np.arange(4), [1, 3, 5, 7]] = 1.0  # one differing bit each
    np.testing.assert_array_equal(hem.act(trained, obs, goal), [1, 3, 5, 7])
    np.testing.assert_array_equal(hem.act(trained, obs, goal, seed_index=1), [1, 3, 5, 7])
    with pytest.raises(ValueError, match="seed_index"):
        hem.act(trained, obs, goal, seed_index=2)
    with pytest.raises(ValueError, match="obs must be"):
        hem.act(trained, obs[:, :5], goal)


def test_parameters_differ_between_seeds(trained):
    leaves = jax.tree.leaves(trained.params)
    assert any(not np.allclose(leaf[0], leaf[1]) for leaf in leaves)
