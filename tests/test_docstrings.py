"""Every docstring example in the package runs and prints what it shows (keras-hub style).

Examples that need a trained model or a dataset in scope are marked `# doctest: +SKIP`; the
rest build small networks, load small data or compute metrics in seconds.
"""

import doctest
import importlib
import pathlib

import keras
import numpy as np
import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "keras_syncgan"
MODULES = sorted(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
                 for path in PACKAGE.rglob("*.py") if ">>>" in path.read_text())


def test_the_examples_are_found():
    assert len(MODULES) >= 30 and "keras_syncgan.models.syncgan" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that make callbacks may create output folders
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"keras": keras, "np": np}, optionflags=doctest.ELLIPSIS,
                             report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (run doctest on it)"
