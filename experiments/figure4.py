"""Figure 4 of the paper (hEM on the reaching tasks) and appendix C.4's four rooms curve.

    python experiments/figure4.py --out=experiments/results/figure4 [--num_seeds=5]
        [--envs=pointmass,reacher,fetch_reach,sawyer_reach,fourrooms]

Trains each env's default config (its preset in hemjax/presets) with `num_seeds` seeds in one
program, and writes final.csv (greedy success on 1,000 fresh goals: mean ± std over seeds, and
each seed's), curves.csv (every evaluation of every run) and curves.png (one panel per env).
Results are written after each env, so a partial run leaves its finished envs on disk.
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from absl import app, flags  # noqa: E402
from sweep import train_seeds, write_sweep  # noqa: E402

import hemjax as hem  # noqa: E402
from hemjax.logger import draw_success  # noqa: E402

FIGURE4_ENVS = ["pointmass", "reacher", "fetch_reach", "sawyer_reach", "fourrooms"]

_OUT = flags.DEFINE_string("out", "experiments/results/figure4", "Output directory.")
_SEEDS = flags.DEFINE_integer("num_seeds", 5, "Seeds per env.")
_ENVS = flags.DEFINE_list("envs", FIGURE4_ENVS, "Envs to train.")


def plot_curves(curves: list[dict], env_names: list[str], seeds: int, path: str) -> None:
    """One panel per env: mean ± std over seeds of greedy success against env steps per seed."""
    fig, axes = plt.subplots(1, len(env_names), figsize=(3.4 * len(env_names), 3), squeeze=False)
    for ax, env_name in zip(axes[0], env_names):
        curve = [c for c in curves if c["env"] == env_name]
        draw_success(ax, [(f"hEM, {seeds} seeds", curve)], env_name)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv):
    del argv
    os.makedirs(_OUT.value, exist_ok=True)
    rows, curves = [], []
    for env_name in _ENVS.value:
        config = hem.default_config(env_name, num_seeds=_SEEDS.value)
        row, curve = train_seeds(config, {"env": env_name})
        rows.append(row)
        curves.extend(curve)
        write_sweep(_OUT.value, rows, curves)
        plot_curves(
            curves, [r["env"] for r in rows], _SEEDS.value, os.path.join(_OUT.value, "curves.png")
        )


if __name__ == "__main__":
    app.run(main)
