"""Checks run in a subprocess that has N forced CPU devices (see test_multidevice.py).

    XLA_FLAGS=--xla_force_host_platform_device_count=N python tests/multidevice_checks.py CHECK
Prints one JSON line with the results.
"""

import contextlib
import io
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import PartitionSpec as P
from tiny import tiny_bitflip

import envs
import hemjax as hem
from hemjax import mesh as layout
from hemjax.hindsight import Batch
from hemjax.learners import make_learner


def update_equivalence() -> dict:
    """One Adam step over a fixed global batch: split over D devices vs on one device; every
    device's replica of the result is compared."""
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
    split_update = layout.per_device(
        multi.update, layout.make_mesh(), (P(), P(), P(layout.AXIS)), (P(), P(), P())
    )
    got, _, got_loss = split_update(params, opt_state, batch)
    diffs = [
        float(np.max(np.abs(np.asarray(shard.data) - np.asarray(w))))
        for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want))
        for shard in g.addressable_shards
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
    leaves = jax.tree.leaves(state.learner_state.params)
    identical = all(
        np.array_equal(np.asarray(shard.data), np.asarray(leaf.addressable_shards[0].data))
        for leaf in leaves
        for shard in leaf.addressable_shards
    )
    keys = np.asarray(state.learner_state.key)  # [devices, seeds, 2]
    return {
        "devices": jax.local_device_count(),
        "replicas": len(leaves[0].addressable_shards),
        "params_identical": identical,
        "data_keys_distinct": len({tuple(k.ravel()) for k in keys}) == keys.shape[0],
        "success": hem.evaluate(state, num_episodes=1000)["success_rate"],
    }


def _elastic_config(workdir: str, iterations: int):
    return tiny_bitflip(
        workdir,
        num_envs=32,
        batch_size=128,
        buffer_episodes=512,
        hidden_sizes=(64,),
        total_env_steps=32 * 8 * iterations,
        eval_every=10,
        checkpoint_every=10,
        eval_episodes=256,
    )


def elastic_start() -> dict:
    """The first 5,120 env steps of a run, checkpointed, on this process's devices."""
    state = hem.run(_elastic_config(sys.argv[2], 20))
    return {"devices": jax.device_count(), "env_steps": state.history[-1]["env_steps"]}


def elastic_resume() -> dict:
    """Resumes elastic_start's run to 25,600 env steps on this process's device count."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        state = hem.run(_elastic_config(sys.argv[2], 100))
    buffer = state.learner_state.buffer
    return {
        "devices": jax.device_count(),
        "env_steps": state.history[-1]["env_steps"],
        "notices": printed.getvalue().count("not bit for bit"),
        "key_devices": int(state.learner_state.key.shape[0]),
        "buffer_size": int(np.asarray(buffer.size)[0]),
        "success": hem.evaluate(state, num_episodes=1000)["success_rate"],
    }


CHECKS = {
    "update_equivalence": update_equivalence,
    "train": train,
    "elastic_start": elastic_start,
    "elastic_resume": elastic_resume,
}

if __name__ == "__main__":
    print(json.dumps(CHECKS[sys.argv[1]]()))
