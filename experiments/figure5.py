"""Figure 5 of the paper: hEM from image observations (48 x 48 and 84 x 84) on the reaching tasks.

    python experiments/figure5.py --out=experiments/results/figure5 [--num_seeds=5]
        [--recipes=pointmass_image,reacher_image,fetch_reach_image,sawyer_reach_image]
        [--sizes=48,84] [--algos=hem] [--total_env_steps=0] [--eval_episodes=0]

Trains every (recipe, image size, algo) with `num_seeds` seeds in one program and writes
final.csv (greedy success on 1,000 fresh goals: mean ± std over seeds, and each seed's),
curves.csv (every evaluation of every run) and curves.png (one panel per recipe, one curve per
size and algo). Results are written after each run, so a partial sweep keeps what finished.
`--total_env_steps` > 0 replaces each recipe's budget (short checks on a CPU), and
`--eval_episodes` > 0 the goals per curve point; 0 keeps the recipe's.
`--algos=hem,her` adds HER(-1/0) (recipes `<recipe>_her`, CNNs in actor and critic).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import ml_collections
from absl import app, flags
from flag_checks import checked_config, define_choice_list, define_int_list
from sweep import budget_overrides, define_budget_flags, run_sweep

from hemjax.plots import plot_success_panels
from hemjax.recipes import RECIPES

FIGURE5_RECIPES = ["pointmass_image", "reacher_image", "fetch_reach_image", "sawyer_reach_image"]
IMAGE_RECIPES = [name for name in RECIPES if "_image" in name and not name.endswith("_her")]
ALGOS = {"hem": "hEM", "her": "HER(-1/0)"}

_OUT = flags.DEFINE_string("out", "experiments/results/figure5", "Output directory.")
_SEEDS = flags.DEFINE_integer("num_seeds", 5, "Seeds per run.", lower_bound=1)
_RECIPES = define_choice_list(
    "recipes", FIGURE5_RECIPES, IMAGE_RECIPES, "Image recipes (hemjax/recipes.py)."
)
_SIZES = define_int_list("sizes", [48, 84], "Image sizes w (images are w x w x 3).")
_ALGOS = define_choice_list("algos", ["hem"], ALGOS, "Learners (her: HER with -1/0 rewards).")
_STEPS, _EVAL_EPISODES = define_budget_flags("every run")


def plan() -> list[tuple[dict, ml_collections.ConfigDict]]:
    """(labels, config) of every (recipe, image size, algo) the flags ask for, each config built
    and validated; raises app.UsageError naming the flag of the first mistake."""
    runs = []
    for recipe in _RECIPES.value:
        for size in _SIZES.value:
            for algo in _ALGOS.value:
                name = recipe if algo == "hem" else f"{recipe}_her"
                where = f"--recipes={recipe} --sizes={size} --algos={algo}"
                if name not in RECIPES:
                    raise app.UsageError(f"{where}: there is no HER recipe {name!r} for {recipe}")
                config = checked_config(
                    where,
                    name,
                    num_seeds=_SEEDS.value,
                    image_size=size,
                    **budget_overrides(_STEPS.value, _EVAL_EPISODES.value),
                )
                label = f"{ALGOS[algo]}-{size}"
                labels = {"recipe": recipe, "size": size, "algo": algo, "label": label}
                runs.append((labels, config))
    return runs


def _recipes_of(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(row["recipe"] for row in rows))


def _curves(rows: list[dict], curves: list[dict], recipe: str) -> list:
    """(label, evaluations) of every run of `recipe`, in the order they ran."""
    labels = dict.fromkeys(row["label"] for row in rows if row["recipe"] == recipe)
    return [
        (label, [c for c in curves if (c["recipe"], c["label"]) == (recipe, label)])
        for label in labels
    ]


def _plot(rows: list[dict], curves: list[dict]) -> None:
    panels = [(name, _curves(rows, curves, name)) for name in _recipes_of(rows)]
    plot_success_panels(panels, os.path.join(_OUT.value, "curves.png"))


def main(argv: Sequence[str]) -> None:
    del argv
    run_sweep(_OUT.value, plan(), keys=("recipe", "size", "algo"), plot=_plot)


if __name__ == "__main__":
    app.run(main)
