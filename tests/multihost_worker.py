"""One process of a 2-process run on loopback (see test_multihost.py).

    python tests/multihost_worker.py ADDRESS NUM_PROCESSES PROCESS_ID WORKDIR
Prints one JSON line: this process's view of the run.
"""

import hashlib
import json
import sys

import hemjax as hem

address, num_processes, process_id, workdir = sys.argv[1:5]
hem.distributed.initialize(address, int(num_processes), int(process_id))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from tiny import tiny_bitflip  # noqa: E402

config = tiny_bitflip(
    workdir,
    num_envs=32,
    buffer_episodes=256,
    hidden_sizes=(64,),
    total_env_steps=32 * 8 * 12,
    eval_every=4,
    eval_episodes=64,
    checkpoint_every=4,
)
state = hem.run(config)
local = [x.addressable_shards[0].data for x in jax.tree.leaves(state.learner_state.params)]
digest = hashlib.sha256(b"".join(np.asarray(x).tobytes() for x in local))
print(
    json.dumps(
        {
            "process": jax.process_index(),
            "global_devices": jax.device_count(),
            "params_sha256": digest.hexdigest(),
            "iteration": state.iteration,
            "success": state.history[-1]["eval_success"],
        }
    )
)
