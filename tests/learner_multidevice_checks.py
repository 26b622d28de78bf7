"""The baselines' data parallelism, run in a subprocess with N forced CPU devices:

    XLA_FLAGS=--xla_force_host_platform_device_count=N \
        python tests/learner_multidevice_checks.py NAME

NAME is her_dqn, her_ddpg, hybrid or hpg. Each check feeds the same global data to one device
and, split evenly, to N devices under pmap, and prints one JSON line with the largest
differences of the updated parameters and normaliser statistics.
"""

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np

import envs
from hemjax.config import default_config
from hemjax.hindsight import sample_batch, sample_transitions
from hemjax.learners import her, hpg
from hemjax.rollout import rollout

AXIS = "devices"


def _split(tree, devices):
    return jax.tree.map(lambda x: x.reshape(devices, -1, *x.shape[1:]), tree)


def _replicate(tree, devices):
    return jax.tree.map(lambda x: jnp.stack([x] * devices), tree)


def _max_diff(got, want) -> float:
    return max(
        float(np.max(np.abs(np.asarray(g) - np.asarray(w)[None])))
        for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want))
    )


def _learners(module, env_name, algo, **overrides):
    devices = jax.local_device_count()
    config = default_config(
        env_name, algo=algo, num_envs=8 * devices, batch_size=16 * devices, **overrides
    )
    env = envs.make(config.env_name, **dict(config.env_kwargs))
    single = module.make_learner(config, env, num_devices=1, axis_name=None)
    multi = module.make_learner(config, env, num_devices=devices, axis_name=AXIS)
    return devices, single, multi


def her_check(env_name: str, algo: str, **overrides) -> dict:
    """Statistics from a batch of episodes, then one Adam step on a fixed global batch."""
    devices, single, multi = _learners(her, env_name, algo, **overrides)
    state = single.init(jax.random.PRNGKey(0), jax.random.PRNGKey(1))
    episodes, _ = jax.jit(single._collect)(state.params, jax.random.PRNGKey(2))
    buffer = state.buffer.replace(
        episodes=jax.tree.map(
            lambda slot, new: slot.at[: new.shape[0]].set(new), state.buffer.episodes, episodes
        ),
        size=jnp.asarray(episodes.length.shape[0], jnp.int32),
    )
    key = jax.random.PRNGKey(3)
    batch = sample_transitions(
        buffer, key, single.batch_size, 0.8, "-1/0", single.env.compute_reward
    )
    demos = None
    if single.agent.hybrid_eta > 0:
        demos = sample_batch(buffer, key, single.batch_size, "future", single.env.compute_reward)

    def step(learner, params, opt_state, episodes, batch, demos):
        params = learner._update_stats(params, episodes)
        params, opt_state, _ = learner.update(params, opt_state, batch, demos)
        return params

    want = jax.jit(lambda *a: step(single, *a))(
        state.params, state.opt_state, episodes, batch, demos
    )
    got = jax.pmap(lambda *a: step(multi, *a), axis_name=AXIS)(
        _replicate(state.params, devices),
        _replicate(state.opt_state, devices),
        _split(episodes, devices),
        _split(batch, devices),
        None if demos is None else _split(demos, devices),
    )
    return {
        "devices": devices,
        "max_param_diff": _max_diff(got.online, want.online),
        "max_stats_diff": _max_diff(
            (got.obs_stats, got.goal_stats), (want.obs_stats, want.goal_stats)
        ),
    }


def hpg_check() -> dict:
    """One HPG step on fixed global episodes and goals."""
    devices, single, multi = _learners(hpg, "bitflip", "hpg", num_bits=6, hidden_sizes=(32,))
    state = single.init(jax.random.PRNGKey(0), jax.random.PRNGKey(1))
    episodes, _ = jax.jit(
        lambda key: rollout(
            single.env,
            lambda o, g, k: single.policy.explore(state.params.policy, o, g, k, 0.0, 0.0),
            lambda a: a,
            key,
            single.num_envs,
        )
    )(jax.random.PRNGKey(2))
    goals, valid = single._alternative_goals(episodes, jax.random.PRNGKey(3))

    def step(learner, params, opt_state, episodes):
        grads, _ = jax.grad(learner.loss, has_aux=True)(params, episodes, goals, valid)
        if learner.axis_name is not None:
            grads = jax.lax.psum(grads, learner.axis_name)
        return grads

    want = jax.jit(lambda *a: step(single, *a))(state.params, state.opt_state, episodes)
    got = jax.pmap(lambda *a: step(multi, *a), axis_name=AXIS)(
        _replicate(state.params, devices),
        _replicate(state.opt_state, devices),
        _split(episodes, devices),
    )
    scale = max(float(np.max(np.abs(np.asarray(w)))) for w in jax.tree.leaves(want))
    return {"devices": devices, "max_grad_diff": _max_diff(got, want), "grad_scale": scale}


CHECKS = {
    "her_dqn": lambda: her_check("bitflip", "her", num_bits=6, hidden_sizes=(32,)),
    "her_ddpg": lambda: her_check("pointmass", "her", hidden_sizes=(32, 32)),
    "hybrid": lambda: her_check("pointmass", "hybrid", hidden_sizes=(32, 32)),
    "hpg": hpg_check,
}

if __name__ == "__main__":
    print(json.dumps(CHECKS[sys.argv[1]]()))
