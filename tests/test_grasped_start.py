"""Fetch pick-and-place's grasped training starts (`grasped_start_probability`): a grasped start
really holds the box, the share follows the probability, evaluation never sees it, and every
learner collects its training episodes from it. Bad values: tests/test_env_checks.py."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import envs
import hemjax as hem
from envs.mjx.fetch import FINGER_ON_BOX
from hemjax.learners import make_learner

BOX_FROM_GRIP, FINGERS = slice(6, 9), slice(9, 11)  # in the 25-number observation
SHORT = 3  # steps per episode where the whole episode is not needed


def _resets(env: envs.GoalEnv, training: bool, count: int, seed: int = 0) -> envs.EnvState:
    keys = jax.random.split(jax.random.PRNGKey(seed), count)
    return jax.jit(jax.vmap(lambda k: env.reset(k, training)))(keys)


@pytest.fixture(scope="module")
def always() -> envs.GoalEnv:
    return envs.make("fetch_pick_and_place", grasped_start_probability=1.0)


def test_a_grasped_start_holds_the_box_between_closed_fingers(always):
    state = jax.tree.map(lambda x: x[0], _resets(always, True, 1, seed=3))
    np.testing.assert_array_equal(state.obs[BOX_FROM_GRIP], np.zeros(3))
    np.testing.assert_allclose(state.obs[FINGERS], [FINGER_ON_BOX] * 2)
    np.testing.assert_allclose(state.achieved_goal[2], always.object_rest_z, atol=1e-6)
    up_and_squeeze = jnp.array([0.0, 0.0, 1.0, -1.0])
    step = jax.jit(always.step)
    for _ in range(8):
        state = step(state.replace(done=jnp.asarray(False)), up_and_squeeze)
    lifted = float(state.achieved_goal[2]) - always.object_rest_z
    assert lifted > 0.25, f"the box rose only {lifted:.3f} m with the grip point"
    assert float(jnp.linalg.norm(state.obs[BOX_FROM_GRIP])) < 0.01


def test_evaluation_starts_are_gyms_whatever_the_probability(always):
    plain = envs.make("fetch_pick_and_place")
    expected = _resets(plain, False, 16)
    for got in (_resets(always, False, 16), _resets(plain, True, 16)):
        for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert float(jnp.min(jnp.linalg.norm(expected.obs[:, BOX_FROM_GRIP], axis=-1))) > 0.05


def test_the_share_of_grasped_starts_follows_the_probability():
    half = envs.make("fetch_pick_and_place", grasped_start_probability=0.5)
    training, plain = _resets(half, True, 400), _resets(half, False, 400)
    grasped = np.asarray(jnp.all(training.obs[:, BOX_FROM_GRIP] == 0, axis=-1))
    assert 0.42 < grasped.mean() < 0.58  # binomial sd 0.025: over 3 sd either way
    # The same draw of box and goal: only the grip point and fingers move.
    np.testing.assert_array_equal(training.desired_goal, plain.desired_goal)
    np.testing.assert_array_equal(training.achieved_goal, plain.achieved_goal)
    np.testing.assert_array_equal(training.obs[~grasped], plain.obs[~grasped])


@pytest.mark.parametrize("algo", ["hem", "hybrid"])
def test_learners_collect_from_training_starts_and_evaluate_from_gyms(algo):
    env = envs.make("fetch_pick_and_place", grasped_start_probability=1.0, max_steps=SHORT)
    config = hem.default_config(
        "fetch_pick_and_place",
        algo=algo,
        env_kwargs={"grasped_start_probability": 1.0, "max_steps": SHORT},
        num_envs=4,
        hidden_sizes=(16,),
        batch_size=8,
        buffer_episodes=8,
    )
    learner = make_learner(config, env, num_devices=1, axis_name=None)
    state = learner.init(jax.random.PRNGKey(0), jax.random.PRNGKey(1))
    episodes = jax.jit(learner._collect)(state.params, jax.random.PRNGKey(2))[0]
    np.testing.assert_array_equal(episodes.obs[:, 0, BOX_FROM_GRIP], np.zeros((4, 3)))

    def refuse(key: jax.Array) -> None:
        raise AssertionError("evaluation drew a training start")

    env.init_training_episode = refuse  # tracing the evaluation below must not reach it
    jax.jit(learner.evaluate, static_argnums=2)(state.params, jax.random.PRNGKey(3), 4)
