"""The one CSV writer: its columns, and that it replaces a file whole or not at all."""

from __future__ import annotations

import os

import pytest

from hemjax.logger import write_csv


def test_columns_in_order_of_first_use_without_lists(tmp_path):
    path = tmp_path / "rows.csv"
    write_csv(str(path), [{"b": 1, "a": 2.5, "curve": [1, 2]}, {"c": "x", "b": 3}])
    assert path.read_text().splitlines() == ["b,a,c", "1,2.5,", "3,,x"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "rows.csv"
    write_csv(str(path), [{"a": 1}])
    before = path.read_text()

    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    with pytest.raises(RuntimeError, match="no text"):
        write_csv(str(path), [{"a": 2}, {"a": Unprintable()}])
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["rows.csv"]
