"""Fail loudly if the wrong ``autograd`` is imported.

PyPI's HIPS ``autograd`` shares our import name; installed next to chainrule it shadows or
overwrites our package and every test would be testing someone else's code.
"""

from __future__ import annotations

import importlib.metadata

import pytest


def pytest_configure(config: pytest.Config) -> None:
    try:
        hips = importlib.metadata.distribution("autograd")
    except importlib.metadata.PackageNotFoundError:
        hips = None
    if hips is not None:
        raise pytest.UsageError(
            f"PyPI's HIPS autograd {hips.version} is installed in this environment; it shares the "
            "import name `autograd` with chainrule and shadows it. Run `pip uninstall autograd` "
            "and reinstall chainrule."
        )
    import autograd

    if not hasattr(autograd, "Value") or not hasattr(autograd, "graph"):
        raise pytest.UsageError(
            f"`import autograd` found {autograd.__file__}, which is not chainrule's autograd"
        )
