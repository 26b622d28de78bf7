"""The experiment scripts check every flag before the first run: a bad value ends in one line
naming the flag and what it allows. Nothing here trains or compiles: flags are parsed into absl's
FLAGS and the scripts' plan functions (which build and validate every config) are called, or a
script is run with arguments that fail before its imports finish."""

from __future__ import annotations

import contextlib
import importlib.util
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import jax
import pytest
from absl import app, flags
from absl.testing import flagsaver

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"
sys.path.insert(0, str(EXPERIMENTS))

FLAGS = flags.FLAGS


@contextlib.contextmanager
def _alone_in_flags() -> Iterator[None]:
    """absl's FLAGS without the flags scripts or other tests defined (restored after), so that
    scripts defining the same names (--out, --num_seeds) can each be loaded in turn."""
    saved = []
    for name in list(FLAGS):
        module = FLAGS.find_module_defining_flag(name) or ""
        if not module.startswith("absl."):
            saved.append((name, module, FLAGS[name]))
            delattr(FLAGS, name)
    was_parsed = FLAGS.is_parsed()
    try:
        with flagsaver.flagsaver():  # on leaving: the flags defined inside are deleted
            try:
                yield
            finally:
                FLAGS.unparse_flags()
    finally:
        for name, module, flag in saved:
            FLAGS[name] = flag
            if module:
                FLAGS.register_flag_by_module(module, flag)
        if was_parsed:
            FLAGS.mark_as_parsed()


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ModuleType]]:
    """(name, *flags) -> experiments/<name>.py loaded as a fresh module, its flags parsed from
    `flags` (which must be good). Import-time side effects (train.py's signal handlers,
    theorems.py's float64) are undone after the test."""
    monkeypatch.setattr(sys, "argv", ["prog"])
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    x64 = jax.config.jax_enable_x64

    def load(name: str, *arguments: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(
            f"_{name}_under_test", EXPERIMENTS / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look it up
        spec.loader.exec_module(module)
        FLAGS(["prog", *arguments])
        return module

    with _alone_in_flags():
        yield load
    for number, handler in handlers.items():
        signal.signal(number, handler)
    jax.config.update("jax_enable_x64", x64)


def _one_line(message: str, *says: str) -> None:
    assert "\n" not in message.strip(), message
    for text in says:
        assert text in message, (text, message)


# (script, bad flags, what the error must say): refused while absl parses the flags.
PARSE_ERRORS = [
    ("baselines", ["--groups=figure4,typo"], ["--groups=", "'typo' is not allowed: one of floors"]),
    ("baselines", ["--num_seeds=0"], ["--num_seeds=0", "positive integer"]),
    ("baselines", ["--eval_every=-1"], ["--eval_every=-1", "non-negative"]),
    ("figure3", ["--dims=0"], ["--dims=0", "'0' is not allowed: an integer >= 1"]),
    ("figure3", ["--bits=10,x"], ["--bits=10,x", "'x' is not allowed: an integer >= 1"]),
    ("figure4", ["--recipes=pointmas"], ["--recipes=pointmas", "(closest: 'pointmass')"]),
    ("figure4", ["--recipes="], ["--recipes=", "an empty list is not allowed"]),
    ("figure5", ["--recipes=bitflip"], ["--recipes=bitflip", "one of pointmass_image"]),
    ("figure5", ["--algos=hem,sac"], ["--algos=hem,sac", "'sac' is not allowed: one of hem, her"]),
    ("figure5", ["--sizes=48,-84"], ["--sizes=48,-84", "an integer >= 1"]),
    ("figure5", ["--total_env_steps=-1"], ["--total_env_steps=-1", "non-negative"]),
    ("ablation_n", ["--ns=10,0"], ["--ns=10,0", "'0' is not allowed"]),
    ("ablation_n", ["--eval_episodes=-5"], ["--eval_episodes=-5", "non-negative"]),
    ("ablation_n", ["--task=fetch"], ["--task=fetch", "bitflip"]),
    ("ablation_weighting", ["--recipes=bitflip,nope"], ["--recipes=", "'nope' is not allowed"]),
    ("benchmark", ["--envs=bitflip,nope"], ["--envs=", "'nope' is not allowed: one of bitflip"]),
    ("benchmark", ["--batches=64,0"], ["--batches=64,0", "an integer >= 1"]),
    ("benchmark", ["--train_algos=sac"], ["--train_algos=sac", "one of hem, her, hybrid, hpg"]),
    ("benchmark", ["--startup=nope"], ["--startup=nope", "'nope' is not allowed"]),
    ("benchmark", ["--repeats=0"], ["--repeats=0", "positive integer"]),
    ("benchmark", ["--startup_only"], ["--startup_only needs --startup"]),
    ("benchmark_camera", ["--raster_envs=reacher"], ["--raster_envs=reacher", "one of pointmass"]),
    ("benchmark_camera", ["--camera_envs=pointmass"], ["--camera_envs=", "one of fetch"]),
    ("benchmark_camera", ["--raster_envs=", "--camera_envs="], ["both empty"]),
    ("benchmark_camera", ["--size=2"], ["--size=2", "2 is not integer >= 4"]),
    ("checkpoint_cost", ["--saves=0"], ["--saves=0", "positive integer"]),
    ("fetch_physics", ["--num_envs=8"], ["--num_envs=8", "8 is not integer >= 32"]),
    ("scaling", ["--devices=1,0"], ["--devices=1,0", "an integer >= 1"]),
    ("theorems", ["--ks=1,4"], ["--ks=1,4", "'1' is not allowed: an integer >= 2"]),
    ("theorems", ["--ks=4,4"], ["--ks=", "at least two different k"]),
    ("theorems", ["--logit=inf"], ["--logit=inf", "a finite number"]),
    ("theorems", ["--num_samples=0"], ["--num_samples=0", "positive integer"]),
    ("robustness", ["--only=tiny ru"], ["--only=tiny ru", "(closest: 'tiny run')"]),
]


@pytest.mark.parametrize(
    "name,arguments,says", PARSE_ERRORS, ids=[f"{n} {' '.join(a)}" for n, a, _ in PARSE_ERRORS]
)
def test_a_bad_flag_is_refused_as_it_is_parsed(script, name, arguments, says):
    script(name)
    with pytest.raises(flags.Error) as caught:
        FLAGS(["prog", *arguments])
    _one_line(str(caught.value), *says)


# (script, flags, the function that checks them before the first run, what the error must say)
PLAN_ERRORS = [
    ("baselines", ["--tasks=bitflip26"], "plan", ["--tasks: 'bitflip26'", "one of bitflip25"]),
    ("baselines", ["--learners=hEM"], "plan", ["--learners: 'hEM' is not allowed: one of HER"]),
    (
        "baselines",
        ["--groups=floors,figure3", "--tasks=fetch_reach", "--learners=hEM"],
        "plan",
        ["--tasks=fetch_reach --learners=hEM: no task of --groups=floors,figure3"],
    ),
    (
        "baselines",
        ["--total_env_steps=10"],
        "plan",
        ["--groups=floors, task bitflip25", "total_env_steps=10 is not allowed"],
    ),
    ("figure3", ["--bits=", "--dims="], "plan", ["--bits and --dims are both empty"]),
    (
        "figure3",
        ["--dims=", "--bits=8", "--num_seeds=4294967297"],
        "plan",
        ["--bits=8: seed=0 is not allowed"],
    ),
    ("figure4", ["--num_seeds=4294967297"], "plan", ["--recipes=pointmass: seed=0"]),
    (
        "figure5",
        ["--recipes=sawyer_reach_image_goals", "--algos=her"],
        "plan",
        ["--algos=her: there is no HER recipe 'sawyer_reach_image_goals_her'"],
    ),
    (
        "figure5",
        ["--recipes=pointmass_image", "--sizes=2"],
        "plan",
        ["--recipes=pointmass_image --sizes=2 --algos=hem", "image_size=2 is not allowed"],
    ),
    (
        "figure5",
        ["--recipes=pointmass_image", "--total_env_steps=10"],
        "plan",
        ["total_env_steps=10 is not allowed"],
    ),
    ("ablation_n", ["--ns=3"], "plan", ["--ns=3 is not allowed: N x 50 must divide 64000"]),
    ("ablation_n", ["--total_env_steps=100"], "plan", ["--ns=5: total_env_steps=100"]),
    (
        "ablation_weighting",
        ["--recipes=bitflip", "--num_seeds=4294967297"],
        "plan",
        ["--recipes=bitflip, sample_weighting episode: seed=0"],
    ),
    (
        "benchmark",
        ["--train_recipes=bitflip", "--train_algos=hem,hybrid"],
        "plan",
        ["--train_recipes=bitflip --train_algos=hybrid: algo='hybrid' is not allowed"],
    ),
    ("scaling", ["--devices=1,3"], "check_devices", ["--devices=3: num_envs=64 is not allowed"]),
]


@pytest.mark.parametrize(
    "name,arguments,check,says", PLAN_ERRORS, ids=[f"{n} {' '.join(a)}" for n, a, *_ in PLAN_ERRORS]
)
def test_a_bad_combination_is_refused_before_the_first_run(script, name, arguments, check, says):
    module = script(name, *arguments)
    with pytest.raises(app.UsageError) as caught:
        getattr(module, check)()
    _one_line(str(caught.value), *says)


def test_good_flags_plan_every_run(script):
    baselines = script("baselines", "--groups=floors,figure3", "--tasks=bitflip25")
    plan = baselines.plan()
    assert [(task, run.label) for task, run, _ in plan["floors"]] == [("bitflip25", "HER(-1/0)")]
    assert [run.label for _, run, _ in plan["figure3"]] == ["hEM", "HER"]
    assert all(config.env_kwargs.num_bits == 25 for _, _, config in plan["floors"])


def test_good_sizes_plan_their_recipes(script):
    figure3 = script("figure3", "--bits=50,100", "--dims=80", "--num_seeds=2")
    plan = [(env, k, recipe, config.num_seeds) for env, k, recipe, config in figure3.plan()]
    assert plan == [
        ("bitflip", 50, "bitflip", 2),
        ("bitflip", 100, "bitflip_k100", 2),
        ("navigation", 80, "navigation_k80", 2),
    ]


def test_ablation_n_evaluates_at_the_same_env_steps(script):
    ablation = script("ablation_n", "--ns=5,80")
    assert [(n, config.eval_every) for n, config in ablation.plan()] == [(5, 256), (80, 16)]


def test_robustness_refuses_an_empty_selection_without_writing(script, tmp_path):
    robustness = script("robustness", "--only=tiny run", "--cheap_only", f"--out={tmp_path}")
    with pytest.raises(app.UsageError) as caught:
        robustness.main(["prog"])
    _one_line(str(caught.value), "--only=tiny run --cheap_only: none of these cases is cheap")
    assert not list(tmp_path.iterdir())


def test_robustness_scrubs_the_machine_from_messages(script):
    robustness = script("robustness")
    message = (
        "error: workdir is in use by process 26158 on host vm since 2026-12-01 00:54:07 (lock "
        "file /tmp/tmpab/workdir_locked/LOCK); process 261580 on host vmx"
    )
    assert robustness.scrub(message, "/tmp/tmpab", "vm", 26158) == (
        "error: workdir is in use by process <pid> on host <host> since 2026-12-01 00:54:07 "
        "(lock file <tmp>/workdir_locked/LOCK); process 261580 on host vmx"
    )
    with open(EXPERIMENTS / "results" / "robustness" / "cases.csv") as f:
        table = f.read()
    assert "/tmp/" not in table and "process <pid> on host <host>" in table


def test_robustness_keeps_the_rows_of_cases_it_did_not_rerun(script, tmp_path):
    robustness = script("robustness")
    path = str(tmp_path / "cases.csv")
    first, second = robustness.CASES[0].name, robustness.CASES[1].name
    robustness.write_csv(path, [{"case": second, "exit_status": 2}, {"case": "gone", "x": 1}])
    rows = robustness.merged(path, [{"case": first, "exit_status": 1}])
    assert [(row["case"], str(row["exit_status"])) for row in rows] == [(first, "1"), (second, "2")]


@pytest.mark.parametrize(
    "arguments,says",
    [
        (["--episodes=0"], "flag --episodes=0: 0 is not a positive integer"),
        (["--fps=0"], "flag --fps=0.0: a number > 0"),
        (["--size=1"], "flag --size=1: 1 is not integer >= 4"),
        (["--seed_index=-1"], "flag --seed_index=-1"),
    ],
)
def test_render_policy_refuses_bad_flags_with_status_2(script, capsys, arguments, says):
    render_policy = script("render_policy")
    with pytest.raises(SystemExit) as caught:
        render_policy.parse_flags(["prog", "--workdir=run", *arguments])
    assert caught.value.code == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("error: ")
    _one_line(stderr, says)


def test_render_policy_refuses_stray_arguments_and_no_workdir_with_status_2(script, capsys):
    render_policy = script("render_policy")
    for argv, says in [
        (["prog", "extra"], "error: unexpected arguments ['extra']"),
        (["prog"], "error: --workdir is required"),
    ]:
        with pytest.raises(SystemExit) as caught:
            render_policy.main(argv)
        assert caught.value.code == 2
        _one_line(capsys.readouterr().err, says)


@pytest.mark.parametrize(
    "arguments,says",
    [
        (["--episodes=0"], "flag --episodes=0: 0 is not a positive integer"),
        (["--seed=-1"], "flag --seed=-1"),
    ],
)
def test_pick_and_place_heights_refuses_bad_flags_with_status_2(script, capsys, arguments, says):
    heights = script("pick_and_place_heights")
    with pytest.raises(SystemExit) as caught:
        heights.parse_flags(["prog", "--workdir=run", *arguments])
    assert caught.value.code == 2
    _one_line(capsys.readouterr().err, "error: " + says)


def test_pick_and_place_heights_refuses_stray_arguments_and_no_workdir(script, capsys):
    heights = script("pick_and_place_heights")
    for argv, says in [
        (["prog", "extra"], "error: unexpected arguments ['extra']"),
        (["prog"], "error: --workdir is required"),
    ]:
        with pytest.raises(SystemExit) as caught:
            heights.main(argv)
        assert caught.value.code == 2
        _one_line(capsys.readouterr().err, says)


@pytest.mark.parametrize(
    "arguments,says",
    [
        (["--num_processes=0"], "error: flag --num_processes=0: 0 is not a positive integer"),
        (["--process_id=-1"], "error: flag --process_id=-1"),
        (["--num_processes=2", "--process_id=2"], "--process_id is not allowed: an index below"),
    ],
)
def test_launcher_refuses_bad_process_flags_with_status_2(script, capsys, arguments, says):
    train = script("train")
    with pytest.raises(SystemExit) as caught:
        train.parse_flags(["experiments/train.py", *arguments])
    assert caught.value.code == 2
    _one_line(capsys.readouterr().err, says)


@pytest.mark.parametrize(
    "arguments,says",
    [
        (["bitflip"], "error: arguments ['bitflip'] are not allowed: startup_probe.py RECIPE"),
        (["bitflip", "", "2"], "error: TARGET='2' is not allowed: a number in [0, 1]"),
        (["bitflp", ""], "error: RECIPE: recipe='bitflp' is not allowed"),
    ],
)
def test_startup_probe_refuses_bad_arguments_with_status_2(arguments, says):
    done = subprocess.run(
        [sys.executable, str(EXPERIMENTS / "startup_probe.py"), *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    _one_line(done.stderr, says)
