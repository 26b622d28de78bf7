"""Checks run in a subprocess that has N forced CPU devices (see test_multidevice.py).

    XLA_FLAGS=--xla_force_host_platform_device_count=N python tests/multidevice_checks.py CHECK
Prints one JSON line with the results.
"""

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np

import envs
import hemjax as hem
from hemjax.hindsight import Batch
from hemjax.learners import make_learner


def update_equivalence() -> dict:
    """One Adam step over a fixed global batch: split over D devices vs on one device."""
    devices = jax.local_device_count()
    config = hem.default_config("bitflip", num_bits=8, batch_size=64, num_envs=64)
    env = envs.make("bitflip", num_bits=8)
    single = make_learner(config, env, num_devices=1, axis_name=None)
    multi = make_learner(config, env, num_devices=devices, axis_name="devices")
    params = single.policy.init(jax.random.PRNGKey(0))
    opt_state = single.optimizer.init(params)
    keys = jax.random.split(jax.random.PRNGKey(1), 3)
    batch = Batch(
        obs=jax.random.bernoulli(keys[0], 0.5, (64, 8)).astype(jnp.float32),
        goal=jax.random.bernoulli(keys[1], 0.5, (64, 8)).astype(jnp.float32),
        action=jax.random.randint(keys[2], (64,), 0, 8, jnp.int32),
        weight=jnp.ones((64,)),
    )
    want, _, want_loss = jax.jit(single.update)(params, opt_state, batch)
    split = jax.tree.map(lambda x: x.reshape(devices, -1, *x.shape[1:]), batch)
    replicate = lambda tree: jax.tree.map(lambda x: jnp.stack([x] * devices), tree)  # noqa: E731
    got, _, got_loss = jax.pmap(multi.update, axis_name="devices")(
        replicate(params), replicate(opt_state), split
    )
    diffs = [
        float(np.max(np.abs(np.asarray(g) - np.asarray(w)[None])))
        for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want))
    ]
    return {
        "devices": devices,
        "max_param_diff": max(diffs),
        "loss_diff": float(np.max(np.abs(np.asarray(got_loss) - float(want_loss)))),
    }


def train() -> dict:
    """A bit-flip run over every device: final success and whether replicas stayed identical."""
    config = hem.default_config(
        "bitflip",
        num_bits=10,
        num_envs=32,
        batch_size=512,
        buffer_episodes=4096,
        total_env_steps=32 * 10 * 90,
        eval_every=30,
        eval_episodes=1000,
        progress_bar=False,
    )
    state = hem.run(config)
    params = jax.device_get(state.learner_state.params)
    identical = all(
        np.array_equal(leaf[d], leaf[0])
        for leaf in jax.tree.leaves(params)
        for d in range(leaf.shape[0])
    )
    keys = np.asarray(state.learner_state.key)
    return {
        "devices": jax.local_device_count(),
        "replica_axis": int(jax.tree.leaves(params)[0].shape[0]),
        "params_identical": identical,
        "data_keys_distinct": len({tuple(k.ravel()) for k in keys}) == keys.shape[0],
        "success": hem.evaluate(state, num_episodes=1000)["success_rate"],
    }


if __name__ == "__main__":
    print(json.dumps({"update_equivalence": update_equivalence, "train": train}[sys.argv[1]]()))
