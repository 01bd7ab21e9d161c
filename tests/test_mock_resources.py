"""tools.mock_resources: the mock outputs' generators, written per part of the stack."""

from __future__ import annotations

from tools.mock_resources import GENERATORS, PARTS


def test_each_resource_type_has_its_generator_in_one_part():
    """The parts are merged into one table, where a type written in two parts would keep only the
    last part's generator, silently."""
    assert sum(len(part) for part in PARTS) == len(GENERATORS)
