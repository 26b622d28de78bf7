"""experiments/plot_runs.py: metrics CSVs to one success-curve PNG, bad arguments in one line."""

from __future__ import annotations

import subprocess
import sys

from hemjax.logger import write_csv

SCRIPT = "experiments/plot_runs.py"


def _metrics(path, rows):
    write_csv(str(path), rows)
    return str(path)


def test_curves_of_two_runs_to_one_png(tmp_path, project_root):
    first = _metrics(
        tmp_path / "a.csv",
        [
            {"iteration": 1, "env_steps": 100, "eval_success": 0.1, "eval_success_std": 0.0},
            {"iteration": 2, "env_steps": 200, "eval_success": 0.5, "eval_success_std": 0.1},
        ],
    )
    second = _metrics(
        tmp_path / "b.csv",
        [{"iteration": 1, "env_steps": 150, "eval_success": 0.3, "eval_success_std": 0.2}],
    )
    out = tmp_path / "curves.png"
    done = subprocess.run(
        [sys.executable, SCRIPT, f"--out={out}", f"first={first}", f"second run={second}"],
        cwd=project_root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments_fail_in_one_line(tmp_path, project_root):
    not_metrics = _metrics(tmp_path / "x.csv", [{"a": 1}])
    for arguments, says in [
        ([f"--out={tmp_path / 'x.png'}", "no-equals-sign"], "LABEL=CSV"),
        ([f"--out={tmp_path / 'x.png'}", f"x={not_metrics}"], "columns"),
        ([f"x={not_metrics}"], "--out is required"),
    ]:
        done = subprocess.run(
            [sys.executable, SCRIPT, *arguments], cwd=project_root, capture_output=True, text=True
        )
        assert done.returncode == 2
        assert done.stderr.startswith("error:") and says in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()
