"""experiments/sweep.py's results files: a partial rerun replaces what it redoes, keeps the rest."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "experiments"))

from sweep import budget_overrides, run_sweep, write_sweep  # noqa: E402
from tiny import tiny_bitflip  # noqa: E402


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


def test_run_sweep_trains_each_setting_and_plots_everything_after_each(tmp_path):
    """Two tiny runs into a folder already holding an earlier setting: after each run, `plot` sees
    every setting there (the earlier one kept) with each run's curve, and final.csv ends with all
    three, each run evaluated on fresh goals (a success rate in [0, 1])."""
    out = str(tmp_path)
    write_sweep(out, [{"lr": 9.0, "success_mean": 0.5}], [{"lr": 9.0, "env_steps": 1}], ("lr",))
    runs = [
        ({"lr": lr}, tiny_bitflip(learning_rate=lr, total_env_steps=16 * 8 * 10))
        for lr in (1e-3, 3e-3)
    ]
    seen = []
    run_sweep(out, runs, keys=("lr",), plot=lambda rows, curves: seen.append((rows, curves)))
    assert [[r["lr"] for r in rows] for rows, _ in seen] == [[9.0, 1e-3], [9.0, 1e-3, 3e-3]]
    rows, curves = seen[-1]
    assert {c["lr"] for c in curves} == {9.0, 1e-3, 3e-3}
    assert all(0.0 <= r["success_mean"] <= 1.0 and r["seeds"] == 1 for r in rows[1:])
    with open(os.path.join(out, "final.csv")) as f:
        assert len(f.read().split()) == 4  # header and three settings
