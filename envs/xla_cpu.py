"""An XLA CPU setting applied when `envs` is imported, before JAX starts its backend."""

from __future__ import annotations

import os

SCHEDULER_FLAG = "--xla_cpu_enable_concurrency_optimized_scheduler"


def disable_concurrency_optimized_scheduler() -> None:
    """Adds `SCHEDULER_FLAG=false` to XLA_FLAGS unless the user set that flag already.

    With the concurrency-optimized scheduler (JAX 0.10.2), the MJX Fetch push rollout at 1,024
    envs deadlocked every time: all threads idle, `block_until_ready` waiting forever. Without
    it the rollout runs, and bit-flip, Reacher and push throughput were unchanged within noise
    (BUILD_NOTES.md, "XLA CPU scheduler flag"). No effect once JAX's backend has started, and none
    on GPU or TPU.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if SCHEDULER_FLAG not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {SCHEDULER_FLAG}=false".strip()
