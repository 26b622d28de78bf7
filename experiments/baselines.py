"""The paper's comparisons: hEM against HER (-1/0 and 0/1 rewards), HPG and the HER + hEM hybrid.

    python experiments/baselines.py --groups=floors [--num_seeds=3] [--total_env_steps=N]
        [--tasks=...] [--learners=...] [--eval_every=N] [--eval_episodes=N]

Groups (each a set of tasks, each task a set of learners on the same env):
  floors    DQN + HER on bit-flip K=25 and DDPG + HER on Fetch reach, 50k env steps
  figure4   Figures 1 and 4: hEM, HER(-1/0), HER(0/1) on point mass, Reacher, Fetch reach, Sawyer
  figure3   Figure 3: hEM and HER on bit-flip K in {10, 25, 50}, navigation K in {10, 20, 40, 80}
  figure11  Figure 11: hEM and HPG on bit-flip K in {25, 50} and four rooms (HPG on half
            and a quarter of hEM's budgets: its steps cost far more compute), HPG with this
            project's reward and with its authors' (the steps left, T - t + 1); and both on
            bit-flip K=25 from all-zero starts (bitflip25_zeros), HPG as its authors run it
  figure6   Figures 6 and 12: hybrid, HER(-1/0) and hEM on Fetch push, pick-and-place, slide
Every learner's seeds train in one program; success is greedy on 1,000 fresh goals. Writes
final.csv, curves.csv and curves.png (one panel per task, one line per learner) under
--out/<group>, after every run, so a partial sweep keeps what finished.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any

import ml_collections
from absl import app, flags
from flag_checks import check_choices, checked_config, define_choice_list
from sweep import budget_overrides, define_budget_flags, run_sweep

from hemjax.plots import plot_success_panels

_OUT = flags.DEFINE_string("out", "experiments/results/baselines", "Output directory.")
_SEEDS = flags.DEFINE_integer("num_seeds", 5, "Seeds per learner.", lower_bound=1)
_STEPS, _EVAL_EPISODES = define_budget_flags("every run")
_EVAL_EVERY = flags.DEFINE_integer(
    "eval_every", 0, "Iterations between curve points (0: the recipe's).", lower_bound=0
)
_TASKS = flags.DEFINE_list("tasks", [], "Only these tasks of the groups (default: all).")
_LEARNERS = flags.DEFINE_list(
    "learners", [], "Only these learners of the tasks, by label, e.g. HER(-1/0) (default: all)."
)


@dataclasses.dataclass(frozen=True)
class Run:
    """One learner on one task: a recipe plus overrides."""

    label: str
    recipe: str
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)


def _reaching(env: str) -> list[Run]:
    return [
        Run("hEM", env),
        Run("HER(-1/0)", f"{env}_her"),
        Run("HER(0/1)", f"{env}_her", {"her_reward": "0/1"}),
    ]


def _sized(
    name: str, size: dict[str, int], runs: list[tuple[str, str]], steps: int
) -> tuple[str, list[Run]]:
    return name, [Run(label, recipe, {**size, "total_env_steps": steps}) for label, recipe in runs]


HEM_HER = [("hEM", "bitflip"), ("HER", "bitflip_her")]
# HPG as its authors' code pays a goal reached by action t (1-based): the T - t + 1 steps left.
AUTHORS_HPG_REWARD = {"hpg_reward": "remaining_steps"}
# Bit-flip as the HPG authors' code runs it: every episode from all zeros (goals random), every
# goal an episode reached an alternative goal, and their reward.
ZEROS_25 = {"num_bits": 25, "start": "zeros"}
AUTHORS_HPG = {**AUTHORS_HPG_REWARD, "hpg_goals_per_episode": 0}
NAVIGATION = [("hEM", "navigation"), ("HER", "navigation_her")]

GROUPS: dict[str, list[tuple[str, list[Run]]]] = {
    "floors": [
        _sized("bitflip25", {"num_bits": 25}, [("HER(-1/0)", "bitflip_her")], 50_000),
        ("fetch_reach", [Run("HER(-1/0)", "fetch_reach_her", {"total_env_steps": 50_000})]),
    ],
    "figure4": [
        (env, _reaching(env)) for env in ("pointmass", "reacher", "fetch_reach", "sawyer_reach")
    ],
    "figure3": [_sized(f"bitflip{k}", {"num_bits": k}, HEM_HER, 512_000) for k in (10, 25, 50)]
    + [_sized(f"navigation{k}", {"dim": k}, NAVIGATION, 1_120_000) for k in (10, 20, 40, 80)],
    "figure11": [
        (
            f"bitflip{k}",
            [
                Run("hEM", "bitflip", {"num_bits": k, "total_env_steps": 512_000}),
                Run("HPG", "bitflip_hpg", {"num_bits": k, "total_env_steps": 256_000}),
                Run(
                    "HPG(T-t+1)",
                    "bitflip_hpg",
                    {"num_bits": k, "total_env_steps": 256_000, **AUTHORS_HPG_REWARD},
                ),
            ],
        )
        for k in (25, 50)
    ]
    + [
        (
            "bitflip25_zeros",
            [
                Run("hEM", "bitflip", {**ZEROS_25, "total_env_steps": 256_000}),
                Run(
                    "HPG(authors')",
                    "bitflip_hpg",
                    {**ZEROS_25, **AUTHORS_HPG, "total_env_steps": 128_000},
                ),
            ],
        ),
        (
            "fourrooms",
            [
                Run("hEM", "fourrooms"),
                Run("HPG", "fourrooms_hpg"),
                Run("HPG(T-t+1)", "fourrooms_hpg", AUTHORS_HPG_REWARD),
            ],
        ),
    ],
    "figure6": [
        (
            env,
            [Run("hybrid", f"{env}_hybrid"), Run("HER(-1/0)", f"{env}_her"), Run("hEM", env)],
        )
        for env in ("fetch_push", "fetch_pick_and_place", "fetch_slide")
    ],
}


_GROUPS = define_choice_list(
    "groups", ["floors"], GROUPS, "Groups to run (see the module docstring)."
)

# A group's runs to train: (task, run, its config), in the group's order.
Plan = dict[str, list[tuple[str, Run, ml_collections.ConfigDict]]]


def _pairs(name: str) -> list[tuple[str, Run]]:
    """Every (task, run) of group `name`, in the group's order."""
    return [(task, run) for task, runs in GROUPS[name] for run in runs]


def plan() -> Plan:
    """The runs that --groups, --tasks and --learners select, every config built and validated;
    raises app.UsageError naming the flag of the first mistake, or if nothing is selected."""
    pairs = [(name, task, run) for name in _GROUPS.value for task, run in _pairs(name)]
    check_choices("tasks", _TASKS.value, list(dict.fromkeys(task for _, task, _ in pairs)))
    known = list(dict.fromkeys(run.label for _, _, run in pairs))
    check_choices("learners", _LEARNERS.value, known)
    runs: Plan = {}
    for name, task, run in pairs:
        if (_TASKS.value and task not in _TASKS.value) or (
            _LEARNERS.value and run.label not in _LEARNERS.value
        ):
            continue
        overrides = {
            **run.overrides,
            "num_seeds": _SEEDS.value,
            "progress_bar": False,
            **budget_overrides(_STEPS.value, _EVAL_EPISODES.value),
        }
        if _EVAL_EVERY.value:
            overrides["eval_every"] = _EVAL_EVERY.value
        label = f"--groups={name}, task {task}, learner {run.label}"
        runs.setdefault(name, []).append(
            (task, run, checked_config(label, run.recipe, **overrides))
        )
    if not runs:
        raise app.UsageError(
            f"--tasks={','.join(_TASKS.value)} --learners={','.join(_LEARNERS.value)}: no task "
            f"of --groups={','.join(_GROUPS.value)} has one of these learners"
        )
    return runs


def run_group(name: str, runs: list[tuple[str, Run, ml_collections.ConfigDict]]) -> None:
    """Trains `runs` of group `name`, writing the group's results after each."""
    out = os.path.join(_OUT.value, name)
    # Rows, curves and panels follow the group's order, however the runs were split; results of
    # the pairs this run does not redo are kept (re-read before each write, so runs of disjoint
    # pairs may share `out` at the same time).
    rank = {(task, run.label): i for i, (task, run) in enumerate(_pairs(name))}

    def in_group_order(entry: dict) -> int:
        return rank.get((entry["task"], entry["learner"]), len(rank))

    def plot(rows: list[dict], curves: list[dict]) -> None:
        plot_success_panels(_panels(rows, curves), os.path.join(out, "curves.png"))

    labelled = (
        ({"task": task, "learner": run.label, "recipe": run.recipe}, config)
        for task, run, config in runs
    )
    run_sweep(out, labelled, keys=("task", "learner"), plot=plot, order=in_group_order)


def _panels(rows: list[dict], curves: list[dict]) -> list[tuple[str, list]]:
    """One panel per task, one curve per learner that ran on it."""
    panels = []
    for task in dict.fromkeys(r["task"] for r in rows):
        learners = [r["learner"] for r in rows if r["task"] == task]
        lines = [
            (learner, [c for c in curves if c["task"] == task and c["learner"] == learner])
            for learner in learners
        ]
        panels.append((task, lines))
    return panels


def main(argv: Sequence[str]) -> None:
    del argv
    for name, runs in plan().items():
        run_group(name, runs)


if __name__ == "__main__":
    app.run(main)
