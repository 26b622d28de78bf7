"""Data-parallel scaling over forced CPU devices (correctness and overhead; on one 2-core host
the devices share the cores, so no speed-up is expected).

    python experiments/scaling.py --out=experiments/results/scaling [--devices=1,2,4]

For each device count, a child process with XLA_FLAGS=--xla_force_host_platform_device_count=D
times bit-flip K=50 training chunks (the bitflip recipe: global N=64, B=512) and its final success.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence

from absl import app, flags
from flag_checks import checked_config, define_int_list

from hemjax.logger import write_csv

_OUT = flags.DEFINE_string("out", "experiments/results/scaling", "Output directory.")
_DEVICES = define_int_list("devices", [1, 2, 4], "Device counts.")
_CHILD = flags.DEFINE_boolean("child", False, "Internal: run one measurement.")


def measure() -> dict:
    import jax

    from hemjax.config import recipe_config
    from hemjax.train import Trainer, run

    config = recipe_config("bitflip", progress_bar=False)
    start = time.perf_counter()
    state = run(config)
    total = time.perf_counter() - start
    trainer = Trainer(config)
    iterations = config.eval_every
    learner_state, metrics, _ = trainer.run_iterations(state.learner_state, iterations, 0)
    jax.block_until_ready(metrics)  # compiled
    start = time.perf_counter()
    learner_state, metrics, _ = trainer.run_iterations(learner_state, iterations, 1)
    jax.block_until_ready(metrics)
    chunk = time.perf_counter() - start
    return {
        "devices": jax.device_count(),
        "run_s_with_compile": round(total, 1),
        "chunk_s": round(chunk, 2),
        "env_steps_per_s": round(float(metrics["env_steps"].mean()) / chunk),
        "final_success": state.history[-1]["eval_success"],
    }


def check_devices() -> None:
    """Raises app.UsageError naming --devices unless the child's config trains on each count."""
    for devices in _DEVICES.value:
        checked_config(f"--devices={devices}", "bitflip", devices, progress_bar=False)


def main(argv: Sequence[str]) -> None:
    del argv
    if _CHILD.value:
        print(json.dumps(measure()))
        return
    check_devices()
    rows = []
    for devices in _DEVICES.value:
        env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
        out = subprocess.run(
            [sys.executable, __file__, "--child"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    os.makedirs(_OUT.value, exist_ok=True)
    write_csv(os.path.join(_OUT.value, "scaling.csv"), rows)


if __name__ == "__main__":
    app.run(main)
