"""Rendering throughput: the 2-D rasteriser and the MJX camera, frames per second.

    python experiments/benchmark_camera.py --out=experiments/results/camera [--size=48]

For each env and batch size: `jit(vmap(render))` over a batch of reset states, the compile
(first call) time and the best of --repeats timed calls. Writes camera.csv to --out and prints
the table. Floors (issue 9, 48 x 48, 2-core CPU): rasteriser >= 20,000 frames/s, MJX camera
>= 500 frames/s.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

import jax
from absl import app, flags
from flag_checks import define_choice_list, define_int_list

import envs
from envs.raster import MIN_SIZE
from hemjax.logger import write_csv

# The envs each renderer draws (envs/raster.py's Raster.for_env, envs/camera.py's Camera.for_env).
RASTER_ENVS = ["pointmass", "fourrooms", "navigation"]
CAMERA_ENVS = [
    name for name in envs.names() if envs.env_class(name).__module__.startswith("envs.mjx")
]

_OUT = flags.DEFINE_string("out", "experiments/results/camera", "Output directory.")
# The rasteriser's smallest image; the camera's (envs/camera.py) is smaller still.
_SIZE = flags.DEFINE_integer("size", 48, "Image side in pixels.", lower_bound=MIN_SIZE)
_RASTER_ENVS = define_choice_list(
    "raster_envs", ["pointmass", "fourrooms"], RASTER_ENVS, "Rasterised envs.", allow_empty=True
)
_CAMERA_ENVS = define_choice_list(
    "camera_envs",
    ["reacher", "fetch_reach", "sawyer_reach"],
    CAMERA_ENVS,
    "Ray-cast MJX envs.",
    allow_empty=True,
)
_RASTER_BATCHES = define_int_list("raster_batches", [256, 1024, 4096], "Batch sizes.")
_CAMERA_BATCHES = define_int_list("camera_batches", [16, 64, 256], "Batch sizes.")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed repeats (the best is kept).", lower_bound=1)
flags.register_multi_flags_validator(
    ["raster_envs", "camera_envs"],
    lambda values: bool(values["raster_envs"] or values["camera_envs"]),
    "--raster_envs and --camera_envs are both empty: give at least one env",
)


def _renderer(kind: str, env: envs.GoalEnv, size: int) -> Callable[[envs.EnvState], jax.Array]:
    if kind == "raster":
        from envs.raster import Raster

        return Raster.for_env(env, size).render
    from envs.camera import Camera

    return Camera.for_env(env, size).render


def measure(kind: str, name: str, batch: int, size: int) -> dict:
    """One row: frames/s of rendering `batch` reset states of env `name` at size x size."""
    env = envs.make(name)
    states = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.PRNGKey(0), batch))
    render = jax.jit(jax.vmap(_renderer(kind, env, size)))
    start = time.perf_counter()
    jax.block_until_ready(render(states))
    compile_s = time.perf_counter() - start
    best = float("inf")
    for _ in range(_REPEATS.value):
        start = time.perf_counter()
        jax.block_until_ready(render(states))
        best = min(best, time.perf_counter() - start)
    return {
        "renderer": kind,
        "env": name,
        "size": size,
        "batch": batch,
        "frames_per_s": batch / best,
        "compile_and_first_s": compile_s,
        "device": jax.devices()[0].device_kind,
    }


def main(argv: Sequence[str]) -> None:
    del argv
    size = _SIZE.value
    plan = [("raster", name, b) for name in _RASTER_ENVS.value for b in _RASTER_BATCHES.value]
    plan += [("camera", name, b) for name in _CAMERA_ENVS.value for b in _CAMERA_BATCHES.value]
    rows = []
    for kind, name, batch in plan:
        row = measure(kind, name, batch, size)
        rows.append(row)
        rate, first = row["frames_per_s"], row["compile_and_first_s"]
        print(
            f"{kind:6s} {name:14s} {size}x{size} batch {batch:6d}: "
            f"{rate:12,.0f} frames/s (compile + first {first:.1f} s)",
            flush=True,
        )
    os.makedirs(_OUT.value, exist_ok=True)
    write_csv(os.path.join(_OUT.value, "camera.csv"), rows)


if __name__ == "__main__":
    app.run(main)
