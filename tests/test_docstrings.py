"""The examples in the scripts' docstrings run and print what they say."""

import doctest
import importlib

import pytest

MODULES = ["campaign", "codedeps", "launch", "tables", "stage", "runs", "spikes", "variance",
           "thresholds", "verdicts", "figures"]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0, f"{name} has no example"
    assert failed == 0
