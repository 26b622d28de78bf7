"""Train from a config file and a named recipe.

    python experiments/train.py --config=experiments/configs/default.py:RECIPE --workdir=DIR
        [--config.FIELD=VALUE ...] [--config.env_kwargs.NAME=VALUE ...]

Without --config it runs the default recipe (hEM on 50-bit bit-flip). Across hosts, give every
process the same --coordinator_address and --num_processes and its own --process_id (or set
JAX's JAX_COORDINATOR_ADDRESS / JAX_NUM_PROCESSES / JAX_PROCESS_ID).

Every mistake in the flags, the config or the workdir ends in one line on stderr starting with
"error:" and exit status 2. SIGTERM or SIGINT (Ctrl-C) stops the run after a checkpoint, with
exit status 128 + the signal number (143, 130); the same command then resumes it.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _stop_before_training(number: int, frame: FrameType | None) -> None:
    """Outside training (hem.run takes over while it trains), a signal ends the run in one line.

    `os._exit`, not `sys.exit`: the signal may land inside an import or a library call that
    catches SystemExit; nothing has been saved yet, and a lock left behind is taken over by the
    next run (its process no longer exists)."""
    del frame
    name = signal.Signals(number).name
    sys.stderr.write(f"error: stopped by {name} while no training was in progress\n")
    sys.stderr.flush()
    os._exit(128 + number)


for _number in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_number, _stop_before_training)

import importlib.util  # noqa: E402
import re  # noqa: E402

import jax  # noqa: E402
import ml_collections  # noqa: E402
from absl import app, flags, logging  # noqa: E402
from flag_checks import fail  # noqa: E402
from ml_collections import config_flags  # noqa: E402

import hemjax as hem  # noqa: E402
from hemjax.checkpoint import CheckpointError  # noqa: E402
from hemjax.config import FIELDS, ConfigError, check_override_path, recipe_config  # noqa: E402
from hemjax.preemption import Interrupted  # noqa: E402
from hemjax.recipes import RECIPES  # noqa: E402
from hemjax.workdir_lock import WorkdirLocked  # noqa: E402

DEFAULT_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs", "default.py")
HELP_FLAGS = ("-h", "-?", "-help", "--help", "-helpshort", "--helpshort", "-helpfull", "--helpfull")

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Config file, optionally followed by :RECIPE (default: configs/default.py)."
)
_WORKDIR = flags.DEFINE_string("workdir", None, "Where metrics, plots and checkpoints go.")
_CACHE = flags.DEFINE_string(
    "compilation_cache", None, "Shorthand for --config.compilation_cache ('' disables it)."
)
_COORDINATOR = flags.DEFINE_string("coordinator_address", None, "host:port of process 0.")
_NUM_PROCESSES = flags.DEFINE_integer(
    "num_processes", None, "Processes (hosts) in the run.", lower_bound=1
)
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "This process's index.", lower_bound=0)
flags.register_multi_flags_validator(
    ["process_id", "num_processes"],
    lambda v: None in (v["process_id"], v["num_processes"]) or v["process_id"] < v["num_processes"],
    "--process_id is not allowed: an index below --num_processes",
)
_POLICY_GIF = flags.DEFINE_bool(
    "policy_gif", True, "At the end, write <workdir>/policy.gif of greedy episodes on fresh goals."
)
_LAUNCHER_FLAGS = (
    _CONFIG,
    _WORKDIR,
    _CACHE,
    _COORDINATOR,
    _NUM_PROCESSES,
    _PROCESS_ID,
    _POLICY_GIF,
)

# Errors a user causes through flags, the environment or the filesystem: one line, no traceback.
USER_ERRORS = (ConfigError, OSError, FloatingPointError, WorkdirLocked, CheckpointError)


def usage() -> str:
    """The launcher's flags, every config field with its default, and every recipe."""
    lines = [__doc__.strip(), "", "Flags:"]
    for holder in _LAUNCHER_FLAGS:
        lines.append(f"  --{holder.name}: {flags.FLAGS[holder.name].help}")
    lines += ["", "Config fields (--config.FIELD=VALUE), with the default recipe's values:"]
    defaults = recipe_config("bitflip")
    for name, field in FIELDS.items():
        value = dict(defaults.env_kwargs) if name == "env_kwargs" else defaults[name]
        lines.append(f"  {name} = {value!r}: {field.doc}; {field.rule.allowed}")
    lines += ["", "Recipes (--config=experiments/configs/default.py:RECIPE):"]
    lines += [f"  {name}: {recipe.why}" for name, recipe in RECIPES.items()]
    return "\n".join(lines)


def _config_argument(argv: list[str]) -> str | None:
    """The value given to --config (the last one), or None."""
    value = None
    for i, arg in enumerate(argv):
        match = re.fullmatch(r"--?config(=(.*))?", arg)
        if match and match.group(1):
            value = match.group(2)
        elif match and i + 1 < len(argv):
            value = argv[i + 1]
    return value


def load_config(argument: str) -> ml_collections.ConfigDict:
    """Runs get_config of the file in `argument` ("FILE" or "FILE:RECIPE")."""
    path, *recipe = argument.split(":", 1)
    if not os.path.isfile(path):
        raise ConfigError(f"--config={argument!r}: no config file at {path!r}")
    spec = importlib.util.spec_from_file_location("launcher_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(*recipe)


def parse_flags(argv: list[str]) -> list[str]:
    """absl's flag parsing, with --help on stdout (exit 0) and every error as one line."""
    if any(arg in HELP_FLAGS for arg in argv[1:]):
        print(usage())
        sys.exit(0)
    if _config_argument(argv) is None:  # config_flags reads its overrides from sys.argv
        sys.argv = argv = [argv[0], f"--config={DEFAULT_CONFIG}", *argv[1:]]
    try:
        config = load_config(_config_argument(argv))
        for arg in argv[1:]:
            match = re.match(r"--?(?:no)?config\.([^=]+)", arg)
            if match:
                check_override_path(config, match.group(1))
        return flags.FLAGS(argv)
    except (flags.Error, ConfigError) as error:
        fail(error)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}; flags take the form --name=value")
    logging.set_verbosity(logging.WARNING)  # keep Orbax's and JAX's info lines off the console
    config = _CONFIG.value
    if _WORKDIR.value is not None:
        config.workdir = _WORKDIR.value
    if _CACHE.value is not None:
        config.compilation_cache = _CACHE.value
    try:
        if _COORDINATOR.value or _NUM_PROCESSES.value or "JAX_COORDINATOR_ADDRESS" in os.environ:
            hem.distributed.initialize(_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value)
        hem.validate(config)
        train_state = hem.run(config)
    except USER_ERRORS as error:
        fail(error)
    except Interrupted as stop:
        resume = "; run the same command to resume" if stop.saved else ""
        fail(f"{stop}{resume}", stop.exit_status)
    final = train_state.history[-1]
    where = f"; metrics and success.png in {config.workdir}" if config.workdir else ""
    if config.workdir and _POLICY_GIF.value and jax.process_index() == 0:
        from hemjax.video import save_policy_gif

        try:
            save_policy_gif(train_state, os.path.join(config.workdir, "policy.gif"))
            where += ", policy.gif"
        except OSError as error:
            print(f"warning: policy.gif not written: {error}", file=sys.stderr)
    print(
        f"final greedy success on {config.eval_episodes} fresh goals: "
        f"{final['eval_success']:.3f} ± {final['eval_success_std']:.3f} "
        f"after {final['env_steps']} env steps ({final['wall_time']:.1f} s){where}"
    )


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
