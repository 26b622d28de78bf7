"""Figure 3 of the paper: hEM's final success on bit-flip and K-dim navigation, and curves.

    python experiments/figure3.py --out=experiments/results/figure3 [--num_seeds=5]

Trains each (env, K) with its recipe (hemjax/recipes.py: the env's, or the size's own where
one exists) and `num_seeds` seeds in one program, and writes
final.csv (mean ± std over seeds of greedy success on 1,000 fresh goals), curves.csv (every
evaluation of every run), final.png and curve_*.png (bit-flip K=50 and K=100, navigation
K=40).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import ml_collections
from absl import app, flags
from flag_checks import checked_config, define_int_list
from sweep import run_sweep

from hemjax.plots import plot_final_by_size, plot_success

_OUT = flags.DEFINE_string("out", "experiments/results/figure3", "Output directory.")
_SEEDS = flags.DEFINE_integer("num_seeds", 5, "Seeds per setting.", lower_bound=1)
_BITS = define_int_list("bits", [10, 25, 50, 100], "Bit-flip sizes K.", allow_empty=True)
_DIMS = define_int_list("dims", [10, 20, 40, 80], "Navigation dimensions K.", allow_empty=True)

# Sizes with a recipe of their own (hemjax/recipes.py); other sizes use the env's recipe.
SIZE_RECIPES = {("bitflip", 100): "bitflip_k100", ("navigation", 80): "navigation_k80"}
SIZE_ARGUMENT = {"bitflip": "num_bits", "navigation": "dim"}
SIZE_FLAG = {"bitflip": "bits", "navigation": "dims"}


def plan() -> list[tuple[str, int, str, ml_collections.ConfigDict]]:
    """(env, K, recipe, config) of every setting --bits and --dims ask for, each config built and
    validated; raises app.UsageError naming the flag of the first mistake."""
    settings = [("bitflip", k) for k in _BITS.value] + [("navigation", k) for k in _DIMS.value]
    if not settings:
        raise app.UsageError("--bits and --dims are both empty: give at least one size K")
    runs = []
    for env_name, size in settings:
        recipe = SIZE_RECIPES.get((env_name, size), env_name)
        config = checked_config(
            f"--{SIZE_FLAG[env_name]}={size}",
            recipe,
            num_seeds=_SEEDS.value,
            **{SIZE_ARGUMENT[env_name]: size},
        )
        runs.append((env_name, size, recipe, config))
    return runs


def main(argv: Sequence[str]) -> None:
    del argv
    runs = (
        ({"env": env_name, "K": size, "recipe": recipe}, config)
        for env_name, size, recipe, config in plan()
    )
    run_sweep(_OUT.value, runs, keys=("env", "K"), plot=_plot)


def _plot(rows: list[dict], curves: list[dict]) -> None:
    plot_final_by_size(
        [
            (f"{env_name}: final greedy success", [r for r in rows if r["env"] == env_name])
            for env_name in ("bitflip", "navigation")
        ],
        os.path.join(_OUT.value, "final.png"),
    )
    for env_name, size in (("bitflip", 50), ("bitflip", 100), ("navigation", 40)):
        curve = [c for c in curves if c["env"] == env_name and c["K"] == size]
        if curve:
            plot_success(
                [(f"hEM, {_SEEDS.value} seeds", curve)],
                os.path.join(_OUT.value, f"curve_{env_name}{size}.png"),
                f"{env_name} K={size}",
            )


if __name__ == "__main__":
    app.run(main)
