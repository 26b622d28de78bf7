"""Success curves of finished or running workdirs' metrics CSVs in one PNG.

    python experiments/plot_runs.py --out=experiments/results/baselines/figure6_push/curves.png \
        --title="Fetch push, 3 seeds" \
        "hybrid (eta 0.1)=experiments/results/baselines/figure6_push/hybrid_metrics.csv" \
        "HER(-1/0)=experiments/results/baselines/figure6_push/her_metrics.csv"

Each argument is LABEL=CSV, a `metrics.csv` as a run writes it (env_steps, eval_success,
eval_success_std per evaluation). Mistakes end in one line on stderr starting with "error:".
"""

from __future__ import annotations

import csv
import sys

from absl import app, flags

_OUT = flags.DEFINE_string("out", None, "PNG path to write.")
_TITLE = flags.DEFINE_string("title", "", "Figure title.")
COLUMNS = ("env_steps", "eval_success", "eval_success_std")


def read_curve(path: str) -> list[dict[str, float]]:
    """The evaluation rows of a metrics CSV: [{env_steps, eval_success, eval_success_std}]."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    missing = [c for c in COLUMNS if rows and c not in rows[0]]
    if not rows or missing:
        raise ValueError(f"{path} is not allowed: a metrics CSV with columns {list(COLUMNS)}")
    return [{c: float(row[c]) for c in COLUMNS} for row in rows if row["eval_success"] != ""]


def main(argv: list[str]) -> None:
    curves = []
    try:
        if not _OUT.value:
            raise ValueError("--out is required: the PNG path")
        for argument in argv[1:]:
            label, separator, path = argument.partition("=")
            if not separator or not label or not path:
                raise ValueError(f"argument {argument!r} is not allowed: LABEL=CSV")
            curves.append((label, read_curve(path)))
        if not curves:
            raise ValueError("no curves given: pass LABEL=CSV arguments")
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    from hemjax.plots import plot_success

    plot_success(curves, _OUT.value, _TITLE.value)
    print(_OUT.value)


if __name__ == "__main__":
    app.run(main)
