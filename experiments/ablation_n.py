"""The ablation of N (episodes collected per iteration) on bit-flip K=50: appendix C.3, Figure 10a.

    python experiments/ablation_n.py --out=experiments/results/ablation_n [--num_seeds=5]
        [--ns=5,10,20,40,80]

Every N gets the bitflip recipe's budget of env steps (512k per seed) and evaluations at the
same env-step points (every 64,000 steps); everything else is the recipe's, so a smaller N
means more iterations, and more Adam steps per collected transition. Writes final.csv,
curves.csv and curves.png (greedy success on fresh goals, mean ± std over seeds).
"""

from __future__ import annotations

import os

from absl import app, flags
from sweep import train_seeds, write_sweep

from hemjax.config import recipe_config
from hemjax.plots import plot_success

_OUT = flags.DEFINE_string("out", "experiments/results/ablation_n", "Output directory.")
_SEEDS = flags.DEFINE_integer("num_seeds", 5, "Seeds per N.")
_NS = flags.DEFINE_list("ns", ["5", "10", "20", "40", "80"], "Episodes per iteration N.")

EVAL_ENV_STEPS = 64_000  # env steps per seed between evaluations, the same for every N


def main(argv):
    del argv
    os.makedirs(_OUT.value, exist_ok=True)
    rows, curves = [], []
    for n in map(int, _NS.value):
        config = recipe_config("bitflip", num_seeds=_SEEDS.value, num_envs=n)
        steps_per_iteration = n * config.env_kwargs.num_bits
        if EVAL_ENV_STEPS % steps_per_iteration:
            raise ValueError(f"ns={n} is not allowed: N x 50 must divide {EVAL_ENV_STEPS}")
        config.eval_every = EVAL_ENV_STEPS // steps_per_iteration
        row, curve = train_seeds(config, {"N": n})
        rows.append(row)
        curves.extend(curve)
        write_sweep(_OUT.value, rows, curves)
        plot_success(
            [(f"N={r['N']}", [c for c in curves if c["N"] == r["N"]]) for r in rows],
            os.path.join(_OUT.value, "curves.png"),
            f"bit-flip K=50, {_SEEDS.value} seeds per N",
        )


if __name__ == "__main__":
    app.run(main)
