"""The ablation of N (episodes collected per iteration), appendix C.3: Figure 10a (bit-flip K=50)
and Figure 10b (Fetch reach from 48 x 48 images).

    python experiments/ablation_n.py --task=bitflip --out=experiments/results/ablation_n
    python experiments/ablation_n.py --task=fetch_reach_image
        --out=experiments/results/ablation_n_fetch_reach_image [--num_seeds=5]
        [--ns=5,10,20,40,80] [--total_env_steps=0] [--eval_episodes=0]

Every N gets the task's budget of env steps per seed and evaluations at the same nominal env-step
points (every N x T steps collected; bit-flip every 64,000, image Fetch reach every 16,000);
everything else is the recipe's, so a smaller N means more iterations, and more Adam steps per
collected transition. Writes final.csv, curves.csv and curves.png (greedy success on 1,000 fresh
goals, mean ± std over seeds).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import ml_collections
from absl import app, flags
from flag_checks import checked_config, define_int_list
from sweep import budget_overrides, define_budget_flags, run_sweep

import envs
from hemjax.config import recipe_config
from hemjax.plots import plot_success

# task: (recipe, env steps between evaluations, title of the plot)
TASKS = {
    "bitflip": ("bitflip", 64_000, "bit-flip K=50"),
    "fetch_reach_image": ("fetch_reach_image", 16_000, "Fetch reach, 48x48 images"),
}

_TASK = flags.DEFINE_enum("task", "bitflip", list(TASKS), "Which of Figure 10a/b.")
_OUT = flags.DEFINE_string("out", "experiments/results/ablation_n", "Output directory.")
_SEEDS = flags.DEFINE_integer("num_seeds", 5, "Seeds per N.", lower_bound=1)
_NS = define_int_list("ns", [5, 10, 20, 40, 80], "Episodes per iteration N.")
_STEPS, _EVAL_EPISODES = define_budget_flags("every N")


def plan() -> list[tuple[int, ml_collections.ConfigDict]]:
    """(N, config) of every --ns, each config built and validated, evaluating every
    `eval_env_steps` of the task; raises app.UsageError naming the flag of the first mistake."""
    recipe, eval_env_steps, _ = TASKS[_TASK.value]
    task = recipe_config(recipe)
    max_steps = envs.make(task.env_name, **task.env_kwargs).max_steps
    configs = []
    for n in _NS.value:
        steps_per_iteration = n * max_steps
        if eval_env_steps % steps_per_iteration:
            raise app.UsageError(
                f"--ns={n} is not allowed: N x {max_steps} must divide {eval_env_steps}"
            )
        config = checked_config(
            f"--ns={n}",
            recipe,
            num_seeds=_SEEDS.value,
            num_envs=n,
            eval_every=eval_env_steps // steps_per_iteration,
            **budget_overrides(_STEPS.value, _EVAL_EPISODES.value),
        )
        configs.append((n, config))
    return configs


def _plot(rows: list[dict], curves: list[dict]) -> None:
    plot_success(
        [(f"N={r['N']}", [c for c in curves if c["N"] == r["N"]]) for r in rows],
        os.path.join(_OUT.value, "curves.png"),
        f"{TASKS[_TASK.value][2]}, {_SEEDS.value} seeds per N",
    )


def main(argv: Sequence[str]) -> None:
    del argv
    run_sweep(_OUT.value, (({"N": n}, config) for n, config in plan()), keys=("N",), plot=_plot)


if __name__ == "__main__":
    app.run(main)
