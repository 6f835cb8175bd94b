"""The Python suite runs under `meson test` (suite 'python') with the
build tree's extension first on PYTHONPATH; NNACT_DEVICE picks the device
as for every other suite."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(scope="session")
def nn():
    import nnact
    return nnact


@pytest.fixture(scope="session")
def ctx(nn):
    return nn.default_context()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
