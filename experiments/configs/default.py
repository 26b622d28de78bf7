"""The experiment config: a named recipe of hemjax/recipes.py, chosen after the file name.

    python experiments/train.py --config=experiments/configs/default.py:bitflip_k100

Without a name it is the default job, hEM on 50-bit bit-flip (recipe `bitflip`). Any field can
then be overridden with --config.FIELD=VALUE, env arguments with --config.env_kwargs.NAME=VALUE.
"""

import ml_collections

from hemjax.config import recipe_config


def get_config(recipe: str = "bitflip") -> ml_collections.ConfigDict:
    return recipe_config(recipe)
