"""E-step weighting: an episode uniformly then t (each step weighs 1/length; the default) against
every stored step equally (the paper's Eq. 7), on bit-flip K=50 and Fetch reach.

    python experiments/ablation_weighting.py --out=experiments/results/ablation_weighting

Each (recipe, weighting) trains --num_seeds seeds in one program from the recipe's defaults;
writes final.csv, curves.csv and curves.png (one panel per recipe, one line per weighting).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import ml_collections
from absl import app, flags
from flag_checks import checked_config, define_choice_list
from sweep import run_sweep

from hemjax.hindsight import WEIGHTINGS
from hemjax.plots import plot_success_panels
from hemjax.recipes import RECIPES

_OUT = flags.DEFINE_string("out", "experiments/results/ablation_weighting", "Output directory.")
_SEEDS = flags.DEFINE_integer("num_seeds", 5, "Seeds per setting.", lower_bound=1)
_RECIPES = define_choice_list(
    "recipes", ["bitflip", "fetch_reach"], RECIPES, "Recipes to compare on."
)


def plan() -> list[tuple[str, str, ml_collections.ConfigDict]]:
    """(recipe, weighting, config) of every --recipes and weighting, each config built and
    validated; raises app.UsageError naming the flag of the first mistake."""
    return [
        (
            recipe,
            weighting,
            checked_config(
                f"--recipes={recipe}, sample_weighting {weighting}",
                recipe,
                num_seeds=_SEEDS.value,
                sample_weighting=weighting,
                progress_bar=False,
            ),
        )
        for recipe in _RECIPES.value
        for weighting in WEIGHTINGS
    ]


def _plot(rows: list[dict], curves: list[dict]) -> None:
    panels = [
        (
            r,
            [
                (w, [c for c in curves if (c["recipe"], c["weighting"]) == (r, w)])
                for w in WEIGHTINGS
            ],
        )
        for r in dict.fromkeys(row["recipe"] for row in rows)
    ]
    plot_success_panels(panels, os.path.join(_OUT.value, "curves.png"))


def main(argv: Sequence[str]) -> None:
    del argv
    runs = (
        ({"recipe": recipe, "weighting": weighting}, config) for recipe, weighting, config in plan()
    )
    run_sweep(_OUT.value, runs, keys=("recipe", "weighting"), plot=_plot)


if __name__ == "__main__":
    app.run(main)
