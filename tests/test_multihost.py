"""Two processes on 127.0.0.1 train together through jax.distributed (CPU collectives)."""

import json
import socket
import subprocess
import sys
from pathlib import Path

from cpu_devices import forced_cpu_env

ROOT = Path(__file__).parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_end_with_identical_parameters(tmp_path):
    address = f"127.0.0.1:{_free_port()}"
    workers = [
        subprocess.Popen(
            [sys.executable, "tests/multihost_worker.py", address, "2", str(i), str(tmp_path)],
            cwd=ROOT,
            env=forced_cpu_env(1),  # gloo CPU collectives, also on GPU hosts
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outputs = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=600)
        assert worker.returncode == 0, stderr[-3000:]
        outputs.append(json.loads(stdout.strip().splitlines()[-1]))
    assert sorted(o["process"] for o in outputs) == [0, 1]
    assert all(o["global_devices"] == 2 for o in outputs)
    assert outputs[0]["iteration"] == outputs[1]["iteration"] >= 12  # budget: 12 full iterations
    assert outputs[0]["params_sha256"] == outputs[1]["params_sha256"]
    # one checkpoint of the global state, written by both processes together
    steps = {p.name for p in (tmp_path / "checkpoints").iterdir()}
    assert str(outputs[0]["iteration"]) in steps, steps
