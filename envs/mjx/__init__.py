"""MJX tasks (Reacher, Sawyer reach, Fetch).

mujoco.mjx prints "Failed to import warp" on every machine without NVIDIA Warp (its optional GPU
backend, which these envs do not use); importing it here first, quietly, keeps that notice off
the console.
"""

import contextlib
import io

with contextlib.redirect_stdout(io.StringIO()):
    from mujoco import mjx  # noqa: F401
