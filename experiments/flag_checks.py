"""Checked flags for the experiment scripts: a bad value ends in one line naming the flag and what
it allows, before anything compiles or trains.

List flags are checked item by item as absl parses them (`define_int_list`,
`define_choice_list`: "FATAL Flags parsing error: flag --dims=0: 0 is not allowed: an integer
>= 1"). What only main can check, the choices that depend on other flags and every config the
script will train, raises app.UsageError (`check_choices`, `checked_config`); scripts build and
check all their configs before the first run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

import ml_collections
from absl import app, flags

flags.disclaim_key_flags()  # the flags defined below belong to the script that asks for them


USAGE_ERROR = 2  # exit status of a mistake in a script's arguments


def fail(message: object, status: int = USAGE_ERROR) -> NoReturn:
    """Ends the process with `message` as one line on stderr, "error: ...", and `status`."""
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    sys.exit(status)


def parse_flags(argv: list[str]) -> list[str]:
    """absl's flag parsing, with every mistake in one line (`fail`)."""
    try:
        return flags.FLAGS(argv)
    except flags.Error as error:
        fail(error)


def checked_workdir(argv: Sequence[str], workdir: str | None) -> str:
    """`workdir` (the --workdir of a script that reads a finished run), after `fail`ing on
    positional arguments or a missing --workdir."""
    if len(argv) > 1:
        fail(f"unexpected arguments {list(argv[1:])}; flags take the form --name=value")
    if not workdir:
        fail("--workdir is required: the run directory holding checkpoints")
    return workdir


def not_one_of(value: str, choices: Sequence[str]) -> str:
    """ "'x' is not allowed: one of a, b, c (closest: 'a')": the message for a value not in
    `choices`."""
    from hemjax.config import closest  # hemjax loads only when a value is refused

    return f"{value!r} is not allowed: one of {', '.join(choices)}{closest(value, choices)}"


class _CheckedListParser(flags.ListParser):
    """A comma-separated list whose items `item` turns into values or refuses (ValueError)."""

    def __init__(self, allow_empty: bool, allowed: str) -> None:
        super().__init__()
        self.allow_empty = allow_empty
        self.allowed = allowed

    def item(self, text: str) -> Any:
        raise NotImplementedError

    def parse(self, argument: str | list[Any]) -> list[Any]:
        items = list(argument) if isinstance(argument, list | tuple) else super().parse(argument)
        if not items and not self.allow_empty:
            raise ValueError(f"an empty list is not allowed: give {self.allowed}")
        return [self.item(str(item).strip()) for item in items]


class _IntListParser(_CheckedListParser):
    def __init__(self, minimum: int, allow_empty: bool) -> None:
        super().__init__(allow_empty, f"integers >= {minimum}")
        self.minimum = minimum

    def item(self, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < self.minimum:
            raise ValueError(f"{text!r} is not allowed: an integer >= {self.minimum}")
        return value


class _ChoiceListParser(_CheckedListParser):
    def __init__(self, choices: Sequence[str], allow_empty: bool) -> None:
        super().__init__(allow_empty, f"one or more of {', '.join(choices)}")
        self.choices = list(choices)

    def item(self, text: str) -> str:
        if text not in self.choices:
            raise ValueError(not_one_of(text, self.choices))
        return text


def _define_list(
    parser: _CheckedListParser, name: str, default: Sequence[Any], help: str
) -> flags.FlagHolder[list[Any]]:
    """Defines --`name`, a comma-separated list that `parser` checks item by item."""
    return flags.DEFINE(parser, name, list(default), help, serializer=flags.CsvListSerializer(","))


def define_int_list(
    name: str, default: Sequence[int], help: str, minimum: int = 1, allow_empty: bool = False
) -> flags.FlagHolder[list[int]]:
    """A comma-separated list of integers >= `minimum` (its value: a list of ints)."""
    parser = _IntListParser(minimum, allow_empty)
    return _define_list(parser, name, default, f"{help} (integers >= {minimum})")


def define_choice_list(
    name: str, default: Sequence[str], choices: Iterable[str], help: str, allow_empty: bool = False
) -> flags.FlagHolder[list[str]]:
    """A comma-separated list of items of `choices`."""
    choices = list(choices)
    parser = _ChoiceListParser(choices, allow_empty)
    return _define_list(parser, name, default, f"{help} Allowed: {', '.join(choices)}.")


def check_choices(flag: str, values: Iterable[str], choices: Sequence[str]) -> None:
    """Raises app.UsageError naming --`flag` unless every value is one of `choices` (for choices
    that depend on other flags)."""
    for value in values:
        if value not in choices:
            raise app.UsageError(f"--{flag}: {not_one_of(value, choices)}")


def checked_config(
    label: str, recipe: str, num_devices: int | None = None, **overrides: Any
) -> ml_collections.ConfigDict:
    """recipe_config(recipe, **overrides), validated as hem.run validates it on `num_devices`
    (default: this host's); a mistake raises app.UsageError "`label`: <field>=<value> is not
    allowed: ..."."""
    import jax

    from hemjax.config import ConfigError, recipe_config, validate

    try:
        config = recipe_config(recipe, **overrides)
        validate(config, jax.device_count() if num_devices is None else num_devices)
    except ConfigError as error:
        raise app.UsageError(f"{label}: {' '.join(str(error).split())}") from None
    return config
