"""experiments/sweep.py's results files: a partial rerun replaces what it redoes, keeps the rest."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "experiments"))

from sweep import budget_overrides, write_sweep  # noqa: E402


def test_a_rerun_replaces_its_settings_in_place_and_keeps_the_others(tmp_path):
    out = str(tmp_path)
    first = [{"N": 5, "success": 0.1}, {"N": 10, "success": 0.2}]
    write_sweep(out, first, [{"N": 5, "env_steps": 1}, {"N": 10, "env_steps": 1}], keys=("N",))
    rows, curves = write_sweep(
        out,
        [{"N": 5, "success": 0.9}, {"N": 20, "success": 0.3}],
        [{"N": 5, "env_steps": 2}, {"N": 20, "env_steps": 2}],
        keys=("N",),
    )
    assert rows == [{"N": 5, "success": 0.9}, {"N": 10, "success": 0.2}, {"N": 20, "success": 0.3}]
    assert [(c["N"], c["env_steps"]) for c in curves] == [(5, 2), (10, 1), (20, 2)]
    with open(os.path.join(out, "final.csv")) as f:
        assert f.read().split() == ["N,success", "5,0.9", "10,0.2", "20,0.3"]


def test_order_sorts_rows_and_curves(tmp_path):
    rank = {"b": 0, "a": 1}
    rows, curves = write_sweep(
        str(tmp_path),
        [{"task": "a", "s": 1}, {"task": "b", "s": 2}],
        [{"task": "a", "e": 1}, {"task": "b", "e": 1}],
        keys=("task",),
        order=lambda entry: rank[entry["task"]],
    )
    assert [r["task"] for r in rows] == [c["task"] for c in curves] == ["b", "a"]


def test_budget_overrides_keep_only_given_values():
    assert budget_overrides(0, 0) == {}
    assert budget_overrides(5000, 0) == {"total_env_steps": 5000}
    assert budget_overrides(0, 200) == {"eval_episodes": 200}
