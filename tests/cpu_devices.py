"""Child processes that must run on N forced CPU devices, even on a host with a GPU or TPU
(where JAX would otherwise pick the accelerator and see one device)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def forced_cpu_env(devices: int = 1) -> dict[str, str]:
    """os.environ plus JAX_PLATFORMS=cpu and N forced host devices."""
    flags = [
        flag
        for flag in os.environ.get("XLA_FLAGS", "").split()
        if not flag.startswith("--xla_force_host_platform_device_count")
    ]
    flags.append(f"--xla_force_host_platform_device_count={devices}")
    return {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": " ".join(flags)}


def run_check(script: str, devices: int, *args: str) -> dict:
    """Runs tests/`script` with `args` on `devices` forced CPU devices; its last JSON line."""
    result = subprocess.run(
        [sys.executable, f"tests/{script}", *args],
        cwd=ROOT,
        env=forced_cpu_env(devices),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
