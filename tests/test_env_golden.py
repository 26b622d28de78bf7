"""Every registered env reproduces, bit for bit, a rollout recorded from the code before the env
refactor (tests/data/env_golden.npz, recorded at 200aefe): fixed reset key, fixed random
actions (box actions up to 1.5x out of range, so clipping is part of what is recorded).

The rollout is this module's own small program, not the shared runner of tests/conftest.py:
the same env code compiled inside another program may round differently (the Reacher's reset
fingertip velocity came out 1 ulp apart inside the runner), so a bitwise check needs the
program the golden was recorded with.

Record again (only when an env's behaviour is meant to change):
    python tests/test_env_golden.py
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import envs
from envs.core import Discrete, GoalEnv

GOLDEN = Path(__file__).parent / "data" / "env_golden.npz"
NUM_ENVS = 8  # episodes rolled out; the first STORED_ENVS of them are stored
STORED_ENVS = 4
FIELDS = ("obs", "achieved_goal", "desired_goal", "reward", "success", "done")
RESET_KEY = 7
ACTION_KEY = 8


def golden_actions(env: GoalEnv) -> jax.Array:
    """[max_steps, NUM_ENVS, ...] fixed random actions; box actions span 1.5x the box."""
    key, shape = jax.random.key(ACTION_KEY), (env.max_steps, NUM_ENVS)
    space = env.action_space
    if isinstance(space, Discrete):
        return jax.random.randint(key, shape, 0, space.num_actions, jnp.int32)
    return jax.random.uniform(
        key, (*shape, space.size), jnp.float32, 1.5 * space.low, 1.5 * space.high
    )


def golden_rollout(env: GoalEnv, actions: jax.Array) -> dict[str, np.ndarray]:
    """FIELDS after reset and after each step, each [max_steps + 1, STORED_ENVS, ...]."""

    def run(key, actions):
        first = jax.vmap(env.reset)(jax.random.split(key, NUM_ENVS))

        def body(state, action):
            state = jax.vmap(env.step)(state, action)
            return state, state

        _, states = jax.lax.scan(body, first, actions)
        return {
            field: jnp.concatenate([getattr(first, field)[None], getattr(states, field)])[
                :, :STORED_ENVS
            ]
            for field in FIELDS
        }

    return jax.tree.map(np.asarray, jax.jit(run)(jax.random.key(RESET_KEY), actions))


@pytest.mark.parametrize("name", envs.names())
def test_env_reproduces_its_golden_rollout(name):
    golden = np.load(GOLDEN)
    env = envs.make(name)
    actions = np.asarray(golden_actions(env))
    np.testing.assert_array_equal(actions[:, :STORED_ENVS], golden[f"{name}/action"])
    rollout = golden_rollout(env, jnp.asarray(actions))
    for field in FIELDS:
        np.testing.assert_array_equal(rollout[field], golden[f"{name}/{field}"], err_msg=field)


def record() -> None:
    arrays = {}
    for name in envs.names():
        env = envs.make(name)
        actions = golden_actions(env)
        arrays[f"{name}/action"] = np.asarray(actions)[:, :STORED_ENVS]
        for field, values in golden_rollout(env, actions).items():
            arrays[f"{name}/{field}"] = values
        print(f"{name}: recorded")
    np.savez_compressed(GOLDEN, **arrays)


if __name__ == "__main__":
    record()
