"""The environment for a child process that must run on N forced CPU devices, even on a host
with a GPU or TPU (where JAX would otherwise pick the accelerator and see one device)."""

import os


def forced_cpu_env(devices: int = 1) -> dict[str, str]:
    """os.environ plus JAX_PLATFORMS=cpu and N forced host devices."""
    flags = [
        flag
        for flag in os.environ.get("XLA_FLAGS", "").split()
        if not flag.startswith("--xla_force_host_platform_device_count")
    ]
    flags.append(f"--xla_force_host_platform_device_count={devices}")
    return {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": " ".join(flags)}
