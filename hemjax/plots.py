"""Figures: greedy success curves against env steps, and final success against problem size."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

Curve = tuple[str, list[dict[str, Any]]]  # (label, records with env_steps and eval_success[_std])


def draw_success(ax: Any, curves: list[Curve], title: str) -> None:
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


def plot_success(curves: list[Curve], path: str, title: str) -> None:
    """Saves draw_success's figure to `path` (PNG)."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    draw_success(ax, curves, title)
    _save(fig, path)


def plot_success_panels(panels: list[tuple[str, list[Curve]]], path: str) -> None:
    """One draw_success panel per (title, curves), side by side, saved to `path` (PNG)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3), squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels):
        draw_success(ax, curves, title)
    _save(fig, path)


def plot_final_by_size(panels: list[tuple[str, list[dict[str, Any]]]], path: str) -> None:
    """One panel per (title, rows): final success_mean +- success_std against K (log2 axis)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.2), squeeze=False)
    for ax, (title, rows) in zip(axes[0], panels):
        ax.errorbar(
            [r["K"] for r in rows],
            [r["success_mean"] for r in rows],
            yerr=[r["success_std"] for r in rows],
            marker="o",
            capsize=3,
        )
        ax.set_xscale("log", base=2)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("K")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    _save(fig, path)


def _save(fig: Any, path: str) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
