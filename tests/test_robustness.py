"""The cheap cases of experiments/robustness.py's table that test_launcher.py does not already
cover: workdir, lock, memory and layout mistakes end in one line and a non-zero exit."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "experiments"))

import robustness  # noqa: E402

NOT_IN_TEST_LAUNCHER = [
    "workdir is a file",
    "workdir/checkpoints is a file",
    "workdir cannot be created",
    "workdir locked by a live run",
    "buffer too large for memory",
    "num_envs not divisible by devices",
    "zero-width layer",
    "budget under one iteration",
    "max_steps 0",
    "unknown algo",
    "load a missing workdir",
]
CASES = {case.name: case for case in robustness.CASES}


@pytest.mark.parametrize("name", NOT_IN_TEST_LAUNCHER)
def test_case_fails_in_one_line_without_a_traceback(name, tmp_path):
    case = CASES[name]
    assert case.cheap and not case.expect_success
    row = robustness.run_case(case, tmp_path)
    assert row["as_expected"], row
    assert row["exit_status"] != 0
