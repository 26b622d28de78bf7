"""Metrics on disk: JSON lines, CSV, TensorBoard events, and a success-rate curve PNG."""

from __future__ import annotations

import csv
import json
import os
from typing import Any

SCALARS = ("eval_success", "eval_success_std", "train_success", "loss", "episode_length")


class MetricsLogger:
    """Appends one record per evaluation to `workdir`; a no-op without a workdir."""

    def __init__(self, workdir: str, tensorboard: bool, history: list[dict[str, Any]]):
        """`history`: records already kept (a resumed run); metrics.jsonl is rewritten to them."""
        self.workdir = workdir
        self._writer = None
        if workdir:
            with open(os.path.join(workdir, "metrics.jsonl"), "w") as f:
                f.writelines(json.dumps(record) + "\n" for record in history)
        if workdir and tensorboard:
            from tensorboardX import SummaryWriter

            self._writer = SummaryWriter(os.path.join(workdir, "tensorboard"))

    def write(self, record: dict[str, Any]) -> None:
        if not self.workdir:
            return
        with open(os.path.join(self.workdir, "metrics.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        if self._writer is not None:
            for name in SCALARS:
                self._writer.add_scalar(name, record[name], record["env_steps"])
            self._writer.flush()

    def close(self, history: list[dict[str, Any]], title: str) -> None:
        """Writes metrics.csv and success.png for the whole `history`."""
        if self._writer is not None:
            self._writer.close()
        if not self.workdir or not history:
            return
        write_csv(os.path.join(self.workdir, "metrics.csv"), history)
        plot_success([("hEM", history)], os.path.join(self.workdir, "success.png"), title)


def write_csv(path: str, rows: list[dict[str, Any]]) -> None:
    """Rows of scalars to CSV (list values are dropped)."""
    columns = [k for k, v in rows[0].items() if not isinstance(v, list | tuple)]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def draw_success(ax: Any, curves: list[tuple[str, list[dict[str, Any]]]], title: str) -> None:
    """Draws mean +- std greedy success against env steps on a matplotlib axis, one line per
    (label, history)."""
    for label, history in curves:
        steps = [r["env_steps"] for r in history]
        mean = [r["eval_success"] for r in history]
        std = [r["eval_success_std"] for r in history]
        ax.plot(steps, mean, label=label)
        ax.fill_between(
            steps,
            [m - s for m, s in zip(mean, std)],
            [m + s for m, s in zip(mean, std)],
            alpha=0.25,
        )
    ax.set_xlabel("env steps (per seed)")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    ax.set_ylabel("greedy success on fresh goals")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")


def plot_success(curves: list[tuple[str, list[dict[str, Any]]]], path: str, title: str) -> None:
    """Saves draw_success's figure to `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    draw_success(ax, curves, title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
