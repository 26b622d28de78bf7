"""Run logging: metrics as JSON lines, CSV and TensorBoard events; the one CSV writer."""

from __future__ import annotations

import csv
import json
import os
import tempfile
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

    def close(self, history: list[dict[str, Any]], title: str, label: str) -> None:
        """Writes metrics.csv and success.png (one curve named `label`) for the whole `history`."""
        if self._writer is not None:
            self._writer.close()
        if not self.workdir or not history:
            return
        write_csv(os.path.join(self.workdir, "metrics.csv"), history)
        from hemjax.plots import plot_success  # matplotlib loads only when a run has a workdir

        plot_success([(label, history)], os.path.join(self.workdir, "success.png"), title)


def write_csv(path: str, rows: list[dict[str, Any]]) -> None:
    """Rows of scalars to CSV; the columns are every key of any row, in order of first use (list
    values are dropped). Every CSV of the project is written here, atomically: a reader, or a
    run killed mid-write, sees the old file or the new one, never a torn one."""
    columns = list(
        dict.fromkeys(k for row in rows for k, v in row.items() if not isinstance(v, list | tuple))
    )
    folder, name = os.path.split(os.path.abspath(path))
    with tempfile.NamedTemporaryFile(
        "w", newline="", dir=folder, prefix=f".{name}.", suffix=".tmp", delete=False
    ) as f:
        try:
            writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        except BaseException:
            os.unlink(f.name)
            raise
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)
