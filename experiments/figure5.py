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

from absl import app, flags
from sweep import budget_overrides, define_budget_flags, train_seeds, write_sweep

from hemjax.config import recipe_config
from hemjax.plots import plot_success_panels

FIGURE5_RECIPES = ["pointmass_image", "reacher_image", "fetch_reach_image", "sawyer_reach_image"]

_OUT = flags.DEFINE_string("out", "experiments/results/figure5", "Output directory.")
_SEEDS = flags.DEFINE_integer("num_seeds", 5, "Seeds per run.")
_RECIPES = flags.DEFINE_list("recipes", FIGURE5_RECIPES, "Image recipes (hemjax/recipes.py).")
_SIZES = flags.DEFINE_list("sizes", ["48", "84"], "Image sizes w (images are w x w x 3).")
_ALGOS = flags.DEFINE_list("algos", ["hem"], "Learners: hem, her (HER with -1/0 rewards).")
_STEPS, _EVAL_EPISODES = define_budget_flags("every run")


def _config(recipe: str, size: int, algo: str):
    """The recipe at image size `size` for `algo`, with this script's seeds and budget."""
    return recipe_config(
        recipe if algo == "hem" else f"{recipe}_her",
        num_seeds=_SEEDS.value,
        image_size=size,
        **budget_overrides(_STEPS.value, _EVAL_EPISODES.value),
    )


def _recipes_of(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(row["recipe"] for row in rows))


def _curves(rows: list[dict], curves: list[dict], recipe: str) -> list:
    """(label, evaluations) of every run of `recipe`, in the order they ran."""
    labels = dict.fromkeys(row["label"] for row in rows if row["recipe"] == recipe)
    return [
        (label, [c for c in curves if (c["recipe"], c["label"]) == (recipe, label)])
        for label in labels
    ]


def main(argv):
    del argv
    for algo in _ALGOS.value:
        if algo not in ("hem", "her"):
            raise app.UsageError(f"algos={algo!r} is not allowed: hem or her")
    sizes = [int(size) for size in _SIZES.value]
    os.makedirs(_OUT.value, exist_ok=True)
    rows, curves = [], []
    for recipe in _RECIPES.value:
        for size in sizes:
            for algo in _ALGOS.value:
                config = _config(recipe, size, algo)
                label = f"{'hEM' if algo == 'hem' else 'HER(-1/0)'}-{size}"
                labels = {"recipe": recipe, "size": size, "algo": algo, "label": label}
                row, curve = train_seeds(config, labels)
                rows.append(row)
                curves.extend(curve)
                all_rows, all_curves = write_sweep(
                    _OUT.value, rows, curves, keys=("recipe", "size", "algo")
                )
                panels = [
                    (name, _curves(all_rows, all_curves, name)) for name in _recipes_of(all_rows)
                ]
                plot_success_panels(panels, os.path.join(_OUT.value, "curves.png"))


if __name__ == "__main__":
    app.run(main)
