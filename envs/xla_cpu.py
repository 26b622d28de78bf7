"""An XLA CPU setting applied when `envs` is imported, before JAX starts its backend."""

from __future__ import annotations

import os
import warnings

import jax
from jax._src import xla_bridge

SCHEDULER_FLAG = "--xla_cpu_enable_concurrency_optimized_scheduler"


def disable_concurrency_optimized_scheduler() -> None:
    """Adds `SCHEDULER_FLAG=false` to XLA_FLAGS unless the user set that flag already.

    With the concurrency-optimized scheduler (JAX 0.10.2), the MJX Fetch push rollout at 1,024
    envs deadlocked every time: all threads idle, `block_until_ready` waiting forever. Without
    it the rollout runs, and bit-flip, Reacher and push throughput were unchanged within noise
    (BUILD_NOTES.md, "XLA CPU scheduler flag"). No effect once JAX's backend has started, and none
    on GPU or TPU: where a CPU backend already runs without the flag, this warns instead.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if SCHEDULER_FLAG in flags:
        return
    if xla_bridge.backends_are_initialized():
        if jax.default_backend() == "cpu":
            warnings.warn(
                f"JAX's CPU backend started before `import envs`, so {SCHEDULER_FLAG}=false "
                "could not be set; large MJX rollouts on the CPU may hang. Import envs (or "
                f"hemjax) first, or start Python with XLA_FLAGS={SCHEDULER_FLAG}=false.",
                stacklevel=3,
            )
        return
    os.environ["XLA_FLAGS"] = f"{flags} {SCHEDULER_FLAG}=false".strip()
