"""Checkpoint cost for a bit-flip K=50 run (the bitflip recipe): the time a save blocks training,
compared with one chunk of iterations, the time to write in the background, the restore time,
and the size on disk.

    python experiments/checkpoint_cost.py --out=experiments/results/checkpoint
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence

import jax
from absl import app, flags, logging

from hemjax.checkpoint import Checkpointer
from hemjax.config import recipe_config
from hemjax.logger import write_csv
from hemjax.train import Trainer

_OUT = flags.DEFINE_string("out", "experiments/results/checkpoint", "Output directory.")
_SAVES = flags.DEFINE_integer("saves", 3, "Saves to time.", lower_bound=1)


def _size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def main(argv: Sequence[str]) -> None:
    del argv
    logging.set_verbosity(logging.WARNING)  # keep Orbax's info lines off the console
    config = recipe_config("bitflip")
    trainer = Trainer(config)
    iterations = config.eval_every
    state = trainer.init(trainer.seeds)
    state, metrics, _ = trainer.run_iterations(state, iterations, 0)  # compile; fill buffer
    jax.block_until_ready(metrics)
    workdir = tempfile.mkdtemp()
    checkpointer = Checkpointer(workdir, keep=2)
    rows = []
    for i in range(_SAVES.value):
        start = time.perf_counter()
        state, metrics, _ = trainer.run_iterations(state, iterations, i + 1)
        jax.block_until_ready(metrics)
        chunk_s = time.perf_counter() - start
        start = time.perf_counter()
        checkpointer.save(i + 1, state, {"config": config.to_dict(), "history": []})
        blocking_s = time.perf_counter() - start
        checkpointer.wait()
        total_s = time.perf_counter() - start
        rows.append(
            {
                "save": i + 1,
                "chunk_iterations": iterations,
                "chunk_s": round(chunk_s, 3),
                "save_blocking_s": round(blocking_s, 3),
                "save_total_s": round(total_s, 3),
                "stall_fraction": round(blocking_s / chunk_s, 3),
            }
        )
        print(rows[-1], flush=True)
    template = trainer.restore_target(trainer.num_devices)
    start = time.perf_counter()
    step, _, _ = checkpointer.restore_latest(lambda meta: template, move_unreadable=False)
    restore_s = time.perf_counter() - start
    size = _size(os.path.join(workdir, "checkpoints", str(step)))
    checkpointer.close()
    shutil.rmtree(workdir)
    state_bytes = sum(x.nbytes for x in jax.tree.leaves(state))
    summary = {
        "restore_s": round(restore_s, 3),
        "checkpoint_mb": round(size / 2**20, 1),
        "state_mb_in_memory": round(state_bytes / 2**20, 1),
    }
    print(summary)
    os.makedirs(_OUT.value, exist_ok=True)
    write_csv(os.path.join(_OUT.value, "checkpoint_cost.csv"), [{**row, **summary} for row in rows])


if __name__ == "__main__":
    app.run(main)
