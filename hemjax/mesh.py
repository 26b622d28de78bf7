"""The device layout: one mesh over every device of every host, and where each state leaf lives.

Learner states are batched over seeds, so every leaf starts with [num_seeds, ...]. On the mesh's
one axis, AXIS:
- the episode buffer is split along its capacity axis: each device owns C / D slots of every seed;
- the data PRNG key carries a leading device axis, [D, num_seeds, 2]: each device collects its own
  episodes;
- everything else (parameters, optimiser state, normaliser statistics, counters) is replicated.
Per-device code (under `shard_map`) sees its own buffer slots and its own key [num_seeds, 2]. No
other module knows about devices beyond the axis name its collectives use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

AXIS = "devices"


def make_mesh() -> Mesh:
    """A one-axis mesh over every device of every process, in `jax.devices()` order."""
    return Mesh(np.asarray(jax.devices()), (AXIS,))


def state_specs(state: Any) -> Any:
    """PartitionSpecs for a seed-batched learner state: a struct with `key` and, for off-policy
    learners, `buffer`."""
    specs = jax.tree.map(lambda _: P(), state).replace(key=P(AXIS))
    if not hasattr(state, "buffer"):
        return specs
    episodes = jax.tree.map(lambda _: P(None, AXIS), state.buffer.episodes)
    return specs.replace(buffer=specs.buffer.replace(episodes=episodes))


def shardings(mesh: Mesh, specs: Any) -> Any:
    """NamedShardings on `mesh` for a tree of PartitionSpecs."""
    return jax.tree.map(
        lambda spec: NamedSharding(mesh, spec), specs, is_leaf=lambda x: isinstance(x, P)
    )


# LLVM optimisation level 1 for XLA's CPU backend: the bit-flip chunk compiles ~30% faster and
# trains as fast as at the default level (BUILD_NOTES, "Start-up").
CPU_COMPILER_OPTIONS = {"xla_backend_optimization_level": 1}


def per_device(
    fn: Callable[..., Any], mesh: Mesh, in_specs: Any, out_specs: Any, donate_state: bool = False
) -> Callable[..., Any]:
    """`fn` run on every device's block (shard_map) inside one jitted program over `mesh`."""
    mapped = jax.shard_map(fn, mesh=mesh, in_specs=in_specs, out_specs=out_specs, check_vma=False)
    on_cpu = mesh.devices.flat[0].platform == "cpu"
    return jax.jit(
        mapped,
        donate_argnums=(0,) if donate_state else (),
        compiler_options=CPU_COMPILER_OPTIONS if on_cpu else None,
    )


def device_view(state: Any) -> Any:
    """Inside shard_map: this device's key [1, S, 2] -> [S, 2]."""
    return state.replace(key=state.key[0])


def global_view(state: Any) -> Any:
    """Inside shard_map: this device's key [S, 2] -> [1, S, 2], the block of the [D, S, 2] key."""
    return state.replace(key=state.key[None])


def slot_permutation(
    old_devices: int, new_devices: int, capacity: int, insert_index: int, size: int
) -> tuple[np.ndarray, int, int]:
    """How to move a buffer's slots from `old_devices` shards to `new_devices` shards.

    Each old shard holds `size` valid episodes among capacity / old_devices slots, the oldest at
    `insert_index` once full. Returns (permutation [capacity]: new slot -> old slot, the new
    insert_index, the new size): every new shard gets an equal share of the valid episodes,
    interleaved by age across old shards, oldest first, in slots 0.. of its own ring; a remainder
    of fewer than `new_devices` episodes is dropped.
    """
    old_local, new_local = capacity // old_devices, capacity // new_devices
    if size < old_local:
        age_order = np.arange(size)
    else:
        age_order = (insert_index + np.arange(old_local)) % old_local
    ranked = (age_order[:, None] + old_local * np.arange(old_devices)[None, :]).ravel()
    share = min(len(ranked) // new_devices, new_local)
    permutation = np.zeros(capacity, np.int32)
    for device in range(new_devices):
        mine = ranked[device::new_devices][:share]
        permutation[device * new_local : device * new_local + share] = mine
    return permutation, share % new_local, share


def relayout(state: Any, old_devices: int, mesh: Mesh) -> Any:
    """A restored seed-batched state from `old_devices` devices moved onto `mesh`.

    Replicated leaves stay; the buffer's slots are redistributed (`slot_permutation`); each new
    device's data key is derived from an old device's key, so keys stay distinct.
    """
    new_devices = mesh.size
    state = state.replace(key=_new_keys(np.asarray(state.key), new_devices))
    if hasattr(state, "buffer"):
        state = state.replace(buffer=_redistribute(state.buffer, old_devices, new_devices))
    return jax.device_put(state, shardings(mesh, state_specs(state)))


def _new_keys(old_keys: np.ndarray, new_devices: int) -> np.ndarray:
    """[new_devices, S, 2] data keys, each derived from an old device's key."""
    old_devices = old_keys.shape[0]
    return np.stack(
        [
            jax.vmap(lambda k, d=d: jax.random.fold_in(k, new_devices + d))(
                old_keys[d % old_devices]
            )
            for d in range(new_devices)
        ]
    )


def _redistribute(buffer: Any, old_devices: int, new_devices: int) -> Any:
    """The buffer's slots moved from old_devices to new_devices shards (host arrays)."""
    capacity = buffer.episodes.length.shape[1]
    permutation, insert_index, size = slot_permutation(
        old_devices,
        new_devices,
        capacity,
        int(np.asarray(buffer.insert_index)[0]),
        int(np.asarray(buffer.size)[0]),
    )
    episodes = jax.tree.map(lambda x: np.asarray(x)[:, permutation], buffer.episodes)
    num_seeds = episodes.length.shape[0]
    return buffer.replace(
        episodes=episodes,
        insert_index=np.full((num_seeds,), insert_index, np.int32),
        size=np.full((num_seeds,), size, np.int32),
    )
