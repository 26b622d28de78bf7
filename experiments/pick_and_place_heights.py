"""Greedy success of a trained Fetch pick-and-place policy by how high its goal is lifted.

    python experiments/pick_and_place_heights.py --workdir=RUN [--episodes=1000] [--output=CSV]

Loads the newest checkpoint of the workdir (hem.load), runs every seed's greedy policy on
--episodes fresh goals from gym's reset, and writes one CSV row per seed and goal-lift band
(metres above the resting box): episodes, success rate, and the share of episodes in which the
box ever rose 2 cm off the table. A policy that pushes but has not learned to grasp solves the
table goals and none of the high ones. Default output: <workdir>/success_by_height.csv.
Mistakes end in one line on stderr starting with "error:" and exit status 2.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence

from absl import app, flags
from flag_checks import checked_workdir, fail, parse_flags

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory holding checkpoints.")
_OUTPUT = flags.DEFINE_string(
    "output", None, "CSV path (default: <workdir>/success_by_height.csv)."
)
_EPISODES = flags.DEFINE_integer("episodes", 1000, "Fresh goals per seed.", lower_bound=1)
_SEED = flags.DEFINE_integer("seed", 100, "Seed of the fresh goals and starts.", lower_bound=0)

# Goal lift bands (low, high], metres; the first holds the goals on the table (lift 0).
BANDS = ((-1.0, 0.0), (0.0, 0.05), (0.05, 0.15), (0.15, 0.30), (0.30, 0.45))
LIFTED = 0.02  # the box counts as lifted once its centre rose this far (metres)


def rows_by_height(train_state, num_episodes: int, seed: int) -> list[dict]:
    """One row per (seed, lift band) of the greedy policies' success on fresh goals."""
    import jax
    import numpy as np

    from hemjax.api import learner_for
    from hemjax.learners.base import greedy_episodes

    learner = learner_for(train_state)
    env = learner.env

    @jax.jit
    def episodes(params, key):
        run, success = greedy_episodes(learner, params, key, num_episodes)
        return run.desired_goal, run.achieved_goal, success

    trained = {
        "iteration": train_state.iteration,
        "env_steps": int(train_state.history[-1]["env_steps"]) if train_state.history else 0,
    }
    rows = []
    keys = jax.random.split(jax.random.PRNGKey(seed), train_state.config.num_seeds)
    for index, key in enumerate(keys):
        params = jax.tree.map(lambda x, i=index: x[i], train_state.params)
        goal, achieved, success = (np.asarray(x) for x in episodes(params, key))
        lift = goal[:, 2] - env.object_rest_z
        lifted = achieved[:, :, 2].max(axis=1) - env.object_rest_z > LIFTED
        for low, high in BANDS:
            band = (lift > low) & (lift <= high) if low >= 0 else lift <= high + 1e-6
            count = int(band.sum())
            rows.append(
                {
                    **trained,
                    "seed": index,
                    "lift_low_m": max(low, 0.0),
                    "lift_high_m": high,
                    "episodes": count,
                    "success": round(float(success[band].mean()), 4) if count else "",
                    "box_lifted": round(float(lifted[band].mean()), 4) if count else "",
                }
            )
    return rows


def main(argv: Sequence[str]) -> None:
    workdir = checked_workdir(argv, _WORKDIR.value)
    import hemjax as hem

    try:
        train_state = hem.load(workdir)
    except (FileNotFoundError, ValueError) as error:
        fail(error)
    if train_state.config.env_name != "fetch_pick_and_place":
        fail(
            f"--workdir holds a {train_state.config.env_name} run: "
            "this script reads fetch_pick_and_place runs only"
        )
    rows = rows_by_height(train_state, _EPISODES.value, _SEED.value)
    path = _OUTPUT.value or os.path.join(workdir, "success_by_height.csv")
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        print(row)
    print(path)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
