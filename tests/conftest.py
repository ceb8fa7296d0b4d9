"""Shared fixtures: real data from the data folder, and one small real training run."""

from __future__ import annotations

import os
import warnings

import pytest

# XLA on or off is a speed choice that a run times on its machine (ganutils.jit); the tests
# check behaviour, not speed, so they skip the timing (tests of the choice set their own).
os.environ.setdefault("GANUTILS_JIT", "off")

from ganutils import config, data, runs  # noqa: E402

SHARED = config.data_dir()

# The longest tests first (a notebook takes 0.3-3.5 minutes, most tests seconds): `make test`
# runs two workers that steal pending tests from each other (pytest-xdist's worksteal), and
# what is left for the end is then short, so neither waits long for the other.
LONGEST_FIRST = ("test_notebooks.py", "test_reliability.py", "test_package.py", "test_training.py")
# Files whose every test trains, starts subprocesses or builds environments (tens of seconds
# each): marked slow, so `make test-fast` (pytest -m "not slow") runs the rest in about three minutes.
SLOW_FILES = ("test_notebooks.py", "test_reliability.py", "test_package.py", "test_backends.py",
              "test_distribute.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)  # stable: the order within a file stays as written
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)


def have(name: str) -> bool:
    """True when a dataset that cannot be fetched here (CIFAR-10, Pokemon) is on disk."""
    root = config.data_dir()
    if name == "cifar10":
        return (root / "cifar10" / "train").is_dir() or (root / "cifar10" / "cifar-10-batches-py").is_dir()
    return (root / name).is_dir()


needs_cifar = pytest.mark.skipif(not have("cifar10"), reason="CIFAR-10 is not in the data folder "
                                 f"({config.data_dir()}) and cannot be downloaded here")
needs_fashion = pytest.mark.skipif(
    not (have("fashion_mnist") or os.path.isdir("/usr/share/datasets/fashion-mnist")),
    reason="Fashion-MNIST is not in the data folder and cannot be downloaded here "
           "(apt-get install dataset-fashion-mnist provides it)")
needs_pokemon = pytest.mark.skipif(not have("pokemon"), reason="the Pokemon images are not in the "
                                   f"data folder ({config.data_dir()})")


@pytest.fixture(scope="session")
def mnist_arrays():
    """MNIST, fetched if the data folder lacks it: MNIST tests never skip."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data.mnist_arrays("train")


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, mnist_arrays):
    """A real 3-epoch MLP GAN run on 512 MNIST digits, with snapshots at epochs 1 and 3."""
    out = tmp_path_factory.mktemp("tiny_run")
    return runs.train(runs.TrainConfig(model="mlp", epochs=3, limit=512, batch_size=64,
                                       out_dir=str(out), snapshot_epochs=[1, 3]), verbose=0)
