"""Figure 4 of the paper (hEM on the reaching tasks) and appendix C.4's four rooms curve.

    python experiments/figure4.py --out=experiments/results/figure4 [--num_seeds=5]
        [--recipes=pointmass,reacher,fetch_reach,sawyer_reach,fourrooms]

Trains each recipe (hemjax/recipes.py; e.g. pointmass_her for the HER baseline) with
`num_seeds` seeds in one program, and writes final.csv (greedy success on 1,000 fresh goals:
mean ± std over seeds, and each seed's), curves.csv (every evaluation of every run) and
curves.png (one panel per recipe). Results are written after each recipe, so a partial run
leaves its finished recipes on disk.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import ml_collections
from absl import app, flags
from flag_checks import checked_config, define_choice_list
from sweep import run_sweep

from hemjax.plots import plot_success_panels
from hemjax.recipes import RECIPES

FIGURE4_RECIPES = ["pointmass", "reacher", "fetch_reach", "sawyer_reach", "fourrooms"]

_OUT = flags.DEFINE_string("out", "experiments/results/figure4", "Output directory.")
_SEEDS = flags.DEFINE_integer("num_seeds", 5, "Seeds per recipe.", lower_bound=1)
_RECIPES = define_choice_list(
    "recipes", FIGURE4_RECIPES, RECIPES, "Recipes (hemjax/recipes.py) to train."
)


def plan() -> list[tuple[str, ml_collections.ConfigDict]]:
    """(recipe, config) of every --recipes, each config built and validated; raises
    app.UsageError naming the flag of the first mistake."""
    return [
        (recipe, checked_config(f"--recipes={recipe}", recipe, num_seeds=_SEEDS.value))
        for recipe in _RECIPES.value
    ]


def _plot(rows: list[dict], curves: list[dict]) -> None:
    panels = [
        (r["recipe"], [(f"{r['seeds']} seeds", [c for c in curves if c["recipe"] == r["recipe"]])])
        for r in rows
    ]
    plot_success_panels(panels, os.path.join(_OUT.value, "curves.png"))


def main(argv: Sequence[str]) -> None:
    del argv
    runs = (({"env": config.env_name, "recipe": recipe}, config) for recipe, config in plan())
    run_sweep(_OUT.value, runs, keys=("recipe",), plot=_plot)


if __name__ == "__main__":
    app.run(main)
