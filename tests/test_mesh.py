"""Moving a buffer's slots between device counts keeps exactly the valid episodes, oldest first."""

import numpy as np
import pytest

from hemjax.mesh import slot_permutation


def _valid_by_age(devices, capacity, insert_index, size):
    """Global slots holding data on each old device, oldest first."""
    local = capacity // devices
    order = np.arange(size) if size < local else (insert_index + np.arange(local)) % local
    return [list(d * local + order) for d in range(devices)]


@pytest.mark.parametrize(
    "old, new, capacity, insert_index, size",
    [(2, 1, 16, 3, 3), (2, 1, 16, 5, 8), (1, 4, 16, 6, 16), (1, 4, 16, 0, 10), (4, 2, 32, 2, 8)],
)
def test_new_shards_hold_valid_episodes_in_age_order(old, new, capacity, insert_index, size):
    permutation, new_insert, new_size = slot_permutation(old, new, capacity, insert_index, size)
    valid = _valid_by_age(old, capacity, insert_index, size)
    ages = {slot: age for slots in valid for age, slot in enumerate(slots)}
    total = sum(len(slots) for slots in valid)
    local = capacity // new
    assert new_size == min(total // new, local)
    assert new_insert == new_size % local
    kept = []
    for device in range(new):
        mine = permutation[device * local : device * local + new_size]
        assert all(int(s) in ages for s in mine)  # only slots that held data
        assert [ages[int(s)] for s in mine] == sorted(ages[int(s)] for s in mine)  # oldest first
        kept += [int(s) for s in mine]
    assert len(set(kept)) == len(kept)  # no episode duplicated
    assert len(kept) >= total - (new - 1)  # at most a remainder of new - 1 dropped
