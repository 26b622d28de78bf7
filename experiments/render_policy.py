"""A GIF of a trained policy's greedy episodes on fresh goals, with the goals shown.

    python experiments/render_policy.py --workdir=runs/bitflip [--output=PATH] [--episodes=4]
    python experiments/render_policy.py --workdir=runs/fetch_push --html

Loads the newest checkpoint of the workdir (hem.load) and writes <workdir>/policy.gif unless
--output says otherwise. Bit-flip is drawn as rows of bits, navigation as its first two
coordinates, point mass and four rooms as maps, MJX tasks through the camera (hemjax/video.py).
With --html (MJX tasks) it also writes <workdir>/policy.html, one episode in brax's
interactive 3-D viewer (hemjax/html_viewer.py).
Mistakes end in one line on stderr starting with "error:" and exit status 2.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from absl import app, flags
from flag_checks import checked_workdir, fail, parse_flags

from envs.raster import MIN_SIZE  # the 2-D maps' smallest side (the camera's is smaller)

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory holding checkpoints.")
_OUTPUT = flags.DEFINE_string("output", None, "GIF path (default: <workdir>/policy.gif).")
_EPISODES = flags.DEFINE_integer(
    "episodes", 4, "Greedy episodes, tiled side by side.", lower_bound=1
)
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the fresh goals and starts.", lower_bound=0)
_SEED_INDEX = flags.DEFINE_integer(
    "seed_index", 0, "Which trained seed's policy to show.", lower_bound=0
)
_SIZE = flags.DEFINE_integer(
    "size", 96, "Image side of maps and camera views, in pixels.", lower_bound=MIN_SIZE
)
_FPS = flags.DEFINE_float("fps", 10.0, "Frames per second (GIF delays: whole centiseconds).")
flags.register_validator("fps", lambda fps: fps > 0, "a number > 0")
_SCALE = flags.DEFINE_integer("scale", 2, "Each image pixel drawn as scale x scale.", lower_bound=1)
_HTML = flags.DEFINE_bool("html", False, "Also write policy.html (MJX tasks, brax's viewer).")


def main(argv: Sequence[str]) -> None:
    workdir = checked_workdir(argv, _WORKDIR.value)
    import hemjax as hem
    from hemjax import html_viewer, video

    try:
        train_state = hem.load(workdir)
        if _HTML.value:
            html_path = html_viewer.save_policy_html(
                train_state,
                os.path.join(workdir, "policy.html"),
                seed=_SEED.value,
                seed_index=_SEED_INDEX.value,
            )
            print(html_path)
        path = video.save_policy_gif(
            train_state,
            _OUTPUT.value or os.path.join(workdir, "policy.gif"),
            num_episodes=_EPISODES.value,
            seed=_SEED.value,
            seed_index=_SEED_INDEX.value,
            size=_SIZE.value,
            fps=_FPS.value,
            scale=_SCALE.value,
        )
    except (FileNotFoundError, ValueError) as error:
        fail(error)
    print(path)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
