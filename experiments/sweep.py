"""Shared by the figure scripts: train one config over several seeds and summarise it."""

from __future__ import annotations

import csv
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import ml_collections
from absl import flags

import hemjax as hem
from hemjax.logger import write_csv

CURVE_FIELDS = ("iteration", "env_steps", "eval_success", "eval_success_std", "wall_time")
FINAL_EVAL_EPISODES = 1000  # fresh goals per seed in every sweep's final evaluation


def define_budget_flags(scope: str) -> tuple[flags.FlagHolder[int], flags.FlagHolder[int]]:
    """--total_env_steps and --eval_episodes, the two shortenings every sweep script offers;
    `scope` names what the budget applies to, e.g. "every N". Pass their values to
    `budget_overrides`. They are listed with the script's own flags in --helpshort."""
    script = sys.argv[0]  # the name absl files the running script's flags under
    steps = flags.DEFINE_integer(
        "total_env_steps",
        0,
        f"Env steps per seed for {scope}; 0 keeps each recipe's budget.",
        lower_bound=0,
        module_name=script,
    )
    episodes = flags.DEFINE_integer(
        "eval_episodes",
        0,
        "Fresh goals per seed at each curve point (0: the recipe's); the final evaluation "
        f"always uses {FINAL_EVAL_EPISODES:,} per seed.",
        lower_bound=0,
        module_name=script,
    )
    return steps, episodes


def budget_overrides(total_env_steps: int, eval_episodes: int) -> dict[str, int]:
    """Config overrides for the values of `define_budget_flags`' flags: those given (> 0)."""
    given = {"total_env_steps": total_env_steps, "eval_episodes": eval_episodes}
    return {field: value for field, value in given.items() if value > 0}


def train_seeds(
    config: ml_collections.ConfigDict, labels: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Runs `config` (all its seeds in one program) and evaluates it on FINAL_EVAL_EPISODES fresh
    goals per seed.

    Returns (row, curve): row = labels + seeds, env steps per seed, final greedy success mean and
    std over seeds, per-seed success and wall seconds (compile included); curve = labels + every
    evaluation in the run's history.
    """
    start = time.perf_counter()
    state = hem.run(config)
    seconds = time.perf_counter() - start
    final = hem.evaluate(state, num_episodes=FINAL_EVAL_EPISODES)
    row = {
        **labels,
        "seeds": config.num_seeds,
        "env_steps_per_seed": state.history[-1]["env_steps"],
        "success_mean": round(final["success_rate"], 4),
        "success_std": round(final["success_rate_std"], 4),
        "per_seed": " ".join(f"{s:.3f}" for s in final["per_seed"]),
        "wall_s": round(seconds, 1),
    }
    print(row, flush=True)
    curve = [{**labels, **{k: r[k] for k in CURVE_FIELDS if k in r}} for r in state.history]
    return row, curve


def run_sweep(
    out: str,
    runs: Iterable[tuple[dict[str, Any], ml_collections.ConfigDict]],
    keys: tuple[str, ...],
    plot: Callable[[list[dict[str, Any]], list[dict[str, Any]]], None],
    order: Callable[[dict[str, Any]], Any] | None = None,
) -> None:
    """Trains every (labels, config) of `runs` in turn (`train_seeds`). After each, writes
    final.csv and curves.csv in `out` (`write_sweep` with `keys` and `order`) and calls
    `plot(rows, curves)` with everything `out` then holds, so a partial sweep keeps what
    finished."""
    os.makedirs(out, exist_ok=True)
    rows, curves = [], []
    for labels, config in runs:
        row, curve = train_seeds(config, labels)
        rows.append(row)
        curves.extend(curve)
        plot(*write_sweep(out, rows, curves, keys=keys, order=order))


def write_sweep(
    out: str,
    rows: list[dict[str, Any]],
    curves: list[dict[str, Any]],
    keys: tuple[str, ...],
    order: Callable[[dict[str, Any]], Any] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """final.csv (one row per setting) and curves.csv (every evaluation) in `out`, merged with
    what earlier runs left there: a setting (its values of `keys`) that `rows` has replaces the
    earlier one in place, the others are kept, so a partial rerun loses nothing it did not redo.
    Rows and curves are then stably sorted by `order`, if given. Returns the merged (rows,
    curves)."""

    def key(entry: dict[str, Any]) -> tuple:
        return tuple(entry.get(name) for name in keys)

    new = {key(row) for row in rows}
    old_rows, old_curves = _read_sweep(out)
    merged = [row for row in old_rows if key(row) not in new] + rows
    place = {k: i for i, k in enumerate(dict.fromkeys(key(row) for row in old_rows + rows))}
    merged_rows = sorted(merged, key=lambda row: place[key(row)])
    merged_curves = sorted(
        [c for c in old_curves if key(c) not in new] + curves,
        key=lambda c: place.get(key(c), len(place)),
    )
    if order is not None:
        merged_rows = sorted(merged_rows, key=order)
        merged_curves = sorted(merged_curves, key=order)
    write_csv(os.path.join(out, "final.csv"), merged_rows)
    write_csv(os.path.join(out, "curves.csv"), merged_curves)
    return merged_rows, merged_curves


def _read_sweep(out: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows and curves an earlier `write_sweep` left in `out` (empty where none), numbers
    parsed back to ints or floats."""

    def load(name: str) -> list[dict[str, Any]]:
        path = os.path.join(out, name)
        if not os.path.exists(path):
            return []
        with open(path, newline="") as f:
            return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(f)]

    return load("final.csv"), load("curves.csv")


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
