"""envs.mjx.sim: packaged models load, and MJX stepping matches MuJoCo's C simulator."""

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest
from mujoco import mjx

from envs.mjx import sim


@pytest.mark.parametrize("filename", ["reacher.xml", "sawyer.xml"])
def test_packaged_models_load(filename):
    mj_model = sim.load_mj_model(filename)
    assert isinstance(mj_model, mujoco.MjModel) and mj_model.nq > 0


def test_unknown_model_raises():
    with pytest.raises(FileNotFoundError):
        sim.load_mj_model("no_such_model.xml")


def test_forward_and_step_match_c_simulator():
    mj_model = sim.load_mj_model("reacher.xml")
    model = sim.put_model(mj_model)
    qpos, qvel, ctrl = np.array([0.3, -1.2]), np.array([0.5, -0.2]), np.array([0.7, -0.4])

    def run(qpos, qvel, ctrl):
        data = mjx.forward(model, sim.make_data(model).replace(qpos=qpos, qvel=qvel))
        return data, sim.step(model, data.replace(ctrl=ctrl), 3)

    start, end = jax.jit(run)(jnp.asarray(qpos), jnp.asarray(qvel), jnp.asarray(ctrl))

    data = mujoco.MjData(mj_model)
    data.qpos[:], data.qvel[:] = qpos, qvel
    mujoco.mj_forward(mj_model, data)
    np.testing.assert_allclose(start.site_xpos, data.site_xpos, atol=1e-6)
    data.ctrl[:] = ctrl
    for _ in range(3):
        mujoco.mj_step(mj_model, data)
    stale = data.site_xpos.copy()  # a bare mj_step leaves positions one substep behind qpos
    mujoco.mj_kinematics(mj_model, data)
    np.testing.assert_allclose(end.qpos, data.qpos, atol=1e-5)
    np.testing.assert_allclose(end.qvel, data.qvel, atol=1e-4)
    np.testing.assert_allclose(end.site_xpos, data.site_xpos, atol=1e-6)
    assert not np.allclose(stale, data.site_xpos, atol=1e-4)
