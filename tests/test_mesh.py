"""Moving a buffer's slots between device counts keeps exactly the valid episodes, oldest first.

Expected layouts are worked out by hand: old device d owns global slots [d * C/D_old, ...); a
full shard's oldest episode sits at insert_index, a partly filled one's at local slot 0. New
devices deal the episodes out by age, interleaving the old shards, oldest first."""

import numpy as np
import pytest

from hemjax.mesh import slot_permutation

UNUSED = None  # a new slot that receives no episode (its content is not checked)


@pytest.mark.parametrize(
    "old, new, capacity, insert_index, size, expected, expected_insert, expected_size",
    [
        # Two full shards of 4, oldest at local slot 1: ages 1,2,3,0 and 5,6,7,4, interleaved.
        (2, 1, 8, 1, 4, [1, 5, 2, 6, 3, 7, 0, 4], 0, 8),
        # One shard holding 3 of 8 onto two devices: one each (0 then 1); episode 2 is the
        # remainder and is dropped.
        (1, 2, 8, 3, 3, [0, UNUSED, UNUSED, UNUSED, 1, UNUSED, UNUSED, UNUSED], 1, 1),
        # Two shards holding 2 of 4 each onto four devices: ages 0, 4, 1, 5 dealt out in turn.
        (2, 4, 8, 0, 2, [0, UNUSED, 4, UNUSED, 1, UNUSED, 5, UNUSED], 1, 1),
        # Four full shards of 2, oldest at local slot 0, onto two devices of 4 slots each:
        # ages 0, 2, 4, 6 (first) then 1, 3, 5, 7; device 0 takes 0, 4, 1, 5, device 1 the rest.
        (4, 2, 8, 0, 2, [0, 4, 1, 5, 2, 6, 3, 7], 0, 4),
    ],
)
def test_new_shards_hold_valid_episodes_in_age_order(
    old, new, capacity, insert_index, size, expected, expected_insert, expected_size
):
    permutation, new_insert, new_size = slot_permutation(old, new, capacity, insert_index, size)
    assert (new_insert, new_size) == (expected_insert, expected_size)
    for slot, source in enumerate(expected):
        if source is not UNUSED:
            assert int(permutation[slot]) == source, f"new slot {slot}"
    assert permutation.shape == (capacity,)
    assert permutation.dtype == np.int32
