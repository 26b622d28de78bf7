"""Fetch object tasks: speed against fidelity for the physics time step and solver iterations.

    python experiments/fetch_physics.py --out=experiments/results/fetch_physics [--num_envs=256]

For each setting (the models' 0.005 s / 8 iterations, and coarser ones), runs the scripted
push and slide policies of envs/reference/scripts.py on `num_envs` fresh goals and records:
push env steps/s (one jitted episode, compiled first), the per-step gap to MuJoCo's C
simulator (each push step replayed in C from MJX's state before it; the object's worst step
in each of 32 episodes, median and max over episodes) and the scripted success of push and
slide. Writes fetch_physics.csv.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import jax
import numpy as np
from absl import app, flags

from envs.reference.c_replay import replay_episode_in_c
from envs.reference.episode_runner import EpisodeRunner
from envs.reference.scripts import RUNNER_SCRIPTS
from hemjax.logger import write_csv

SETTINGS = [(0.005, 8), (0.005, 4), (0.01, 4), (0.01, 8)]  # (timestep s, solver iterations)
GAP_EPISODES = 32  # push episodes replayed in C per setting

_OUT = flags.DEFINE_string("out", "experiments/results/fetch_physics", "Output directory.")
_ENVS = flags.DEFINE_integer(
    "num_envs",
    256,
    f"Parallel envs (fresh goals) per setting; at least the {GAP_EPISODES} replayed in C.",
    lower_bound=GAP_EPISODES,
)


def measure(timestep: float, iterations: int, num_envs: int) -> dict:
    key = jax.random.key(0)
    physics = {"timestep": timestep, "solver_iterations": iterations}
    push = EpisodeRunner("fetch_push", num_envs, RUNNER_SCRIPTS["fetch_push"], **physics)
    start = time.perf_counter()
    push.run(key, scripted=True)
    first_call = time.perf_counter() - start
    start = time.perf_counter()
    episode = push.run(key, scripted=True)
    seconds = time.perf_counter() - start
    qpos = episode.states.physics.qpos
    obj = slice(push.env.object_qpos.start, push.env.object_qpos.start + 3)
    gaps = []
    for i in range(GAP_EPISODES):
        expected = replay_episode_in_c(push.env, episode, i, resync=True)
        gaps.append(np.abs(qpos[:, i, obj] - expected[:, obj]).max())
    slide = EpisodeRunner("fetch_slide", num_envs, RUNNER_SCRIPTS["fetch_slide"], **physics)
    slide_success = slide.run(key, scripted=True).states.success
    success = episode.states.success
    row = {
        "timestep_s": timestep,
        "solver_iterations": iterations,
        "push_env_steps_per_s": round(num_envs * push.env.max_steps / seconds),
        "push_compile_s": round(first_call - seconds, 1),
        "push_c_gap_median_mm": round(1e3 * float(np.median(gaps)), 2),
        "push_c_gap_max_mm": round(1e3 * float(np.max(gaps)), 2),
        "push_scripted_success": round(float(success.any(axis=0).mean()), 3),
        "slide_scripted_success": round(float(slide_success.any(axis=0).mean()), 3),
    }
    print(row, flush=True)
    return row


def main(argv: Sequence[str]) -> None:
    del argv
    os.makedirs(_OUT.value, exist_ok=True)
    print(f"backend: {jax.default_backend()}, {_ENVS.value} envs per setting")
    rows = [measure(timestep, iterations, _ENVS.value) for timestep, iterations in SETTINGS]
    write_csv(os.path.join(_OUT.value, "fetch_physics.csv"), rows)


if __name__ == "__main__":
    app.run(main)
