"""Train hEM from a config file.

    python experiments/train.py --config=experiments/configs/bitflip.py --workdir=runs/bitflip \
        [--config.num_bits... use --config.env_kwargs.num_bits=25] [--config.FIELD=VALUE ...]

Across hosts, give every process the same --coordinator_address and --num_processes and its own
--process_id (or set JAX's JAX_COORDINATOR_ADDRESS / JAX_NUM_PROCESSES / JAX_PROCESS_ID).
"""

from __future__ import annotations

import os
import sys

from absl import app, flags, logging
from ml_collections import config_flags

_CONFIG = config_flags.DEFINE_config_file("config", None, "Config file (experiments/configs/*.py).")
_WORKDIR = flags.DEFINE_string("workdir", None, "Where metrics, plots and checkpoints go.")
_COORDINATOR = flags.DEFINE_string("coordinator_address", None, "host:port of process 0.")
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", None, "Processes (hosts) in the run.")
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "This process's index.")
_CACHE = flags.DEFINE_string(
    "compilation_cache",
    os.path.join(os.path.expanduser("~"), ".cache", "hemjax", "jax"),
    "JAX persistent compilation cache directory ('' disables it).",
)
flags.mark_flags_as_required(["config"])


def main(argv: list[str]) -> None:
    del argv
    logging.set_verbosity(logging.WARNING)  # keep Orbax's and JAX's info lines off the console
    import jax

    import hemjax as hem

    if _CACHE.value:
        jax.config.update("jax_compilation_cache_dir", _CACHE.value)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    config = _CONFIG.value
    if _WORKDIR.value is not None:
        config.workdir = _WORKDIR.value
    try:
        hem.validate(config, num_devices=1)
        if _COORDINATOR.value or _NUM_PROCESSES.value or "JAX_COORDINATOR_ADDRESS" in os.environ:
            hem.distributed.initialize(_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value)
        train_state = hem.run(config)
    except hem.ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    final = train_state.history[-1]
    where = f"; metrics and success.png in {config.workdir}" if config.workdir else ""
    print(
        f"final greedy success on {config.eval_episodes} fresh goals: "
        f"{final['eval_success']:.3f} ± {final['eval_success_std']:.3f} "
        f"after {final['env_steps']} env steps ({final['wall_time']:.1f} s){where}"
    )


if __name__ == "__main__":
    app.run(main)
