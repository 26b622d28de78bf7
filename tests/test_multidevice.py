"""Data parallelism over forced CPU devices: same update as one device, identical replicas."""

import pytest
from cpu_devices import run_check


def _check(name: str, devices: int, *args: str) -> dict:
    return run_check("multidevice_checks.py", devices, name, *args)


@pytest.mark.parametrize("devices", [2, 4, 8])
def test_split_update_equals_single_device_update(devices):
    result = _check("update_equivalence", devices)
    assert result["devices"] == devices
    assert result["max_param_diff"] < 1e-6, result
    assert result["loss_diff"] < 1e-5, result


def test_four_devices_learn_with_identical_replicas():
    result = _check("train", 4)
    assert result["replicas"] == 4
    assert result["params_identical"], "parameters diverged between devices"
    assert result["data_keys_distinct"], "devices collected the same episodes"
    assert result["success"] >= 0.95, result


@pytest.mark.parametrize("before, after", [(2, 1), (1, 4)])
def test_a_checkpoint_resumes_on_another_device_count(tmp_path, before, after):
    started = _check("elastic_start", before, str(tmp_path))
    assert started["devices"] == before and 5120 <= started["env_steps"] < 25600
    resumed = _check("elastic_resume", after, str(tmp_path))
    assert resumed["devices"] == after and resumed["env_steps"] >= 25600
    assert resumed["notices"] == 1  # says once that the resume is not bit for bit
    assert resumed["key_devices"] == after
    assert resumed["success"] >= 0.9, resumed
