"""What a run writes about its networks: the state to resume from, and plain generators.

`ResumeState` saves, after every epoch, everything needed to continue exactly: both
networks, the weight average, both optimizers, the epoch count and every random-number
state (the noise's, DiffAugment's, each dropout layer's: Keras 3 counts a SeedGenerator's
state among a layer's `variables`). They are stored in the order Keras lists them, which
depends only on how the networks are built, so a state saved by one process loads into the
same configuration built by another. `restore` reads it back before `fit`.

Generators are saved as plain Keras (`save_generator`): a `.keras` file that
`keras.saving.load_model` opens in any Python, with or without ganutils.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import keras
import numpy as np

from . import speedups
from .errors import ConfigError
from .files import atomic_path


def state_variables(gan) -> list:
    """Every variable that a resumed run needs, in a fixed order."""
    return [*gan.variables, *gan.d_optimizer.variables, *gan.g_optimizer.variables]


def save_state(gan, path) -> None:
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for i, v in enumerate(state_variables(gan)):
            f[f"{i:04d}"] = keras.ops.convert_to_numpy(v)
            f[f"{i:04d}"].attrs["path"] = v.path


def restore(gan, path) -> int:
    """Load a state file into `gan` (built and compiled); returns the epochs done (0 if
    there is no file yet)."""
    path = Path(path)
    if not path.exists():
        return 0
    gan.build_optimizers()  # their variables must exist to be loaded
    variables = state_variables(gan)
    try:
        with h5py.File(path, "r") as f:
            saved = [f[f"{i:04d}"][()] for i in range(len(f))]
    except (KeyError, OSError):
        saved = None  # not a state file of this layout (another version wrote it)
    if saved is None or len(saved) != len(variables) or any(np.shape(s) != tuple(v.shape)
                                           for s, v in zip(saved, variables)):
        raise ConfigError(f"{path} was saved by a different model or settings: choose another "
                          "out_dir, or delete that folder to start again")
    for v, value in zip(variables, saved):
        v.assign(value)
    return int(keras.ops.convert_to_numpy(gan.epochs_done))


class ResumeState(keras.callbacks.Callback):
    """After each epoch, the whole training state in one file, written atomically: a run
    killed at any moment and started again continues from its last completed epoch."""

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch, logs=None):
        self.model.epochs_done.assign(epoch + 1)
        save_state(self.model, self.path)


def save_generator(generator, path, dtype: str | None = None) -> Path:
    """Save a generator as plain Keras in the `.keras` format, atomically; with `dtype`
    ("float16"), its weights and arithmetic in that precision (`recast`)."""
    model = speedups.plain(generator)
    with atomic_path(path) as tmp:
        (recast(model, dtype) if dtype else model).save(tmp)
    return Path(path)


def recast(model, dtype: str):
    """A copy of `model` that keeps its weights and computes in `dtype`. In float16 a kept
    generator's file is half the size, and its images differ from float32's by about one
    grey level of 255: what a committed report's generator needs."""
    def rebuild(layer):
        if isinstance(layer, keras.Model):
            return recast(layer, dtype)
        return type(layer).from_config({**layer.get_config(), "dtype": dtype})

    copy = keras.models.clone_model(model, clone_function=rebuild)
    copy.set_weights([w.astype(dtype) for w in model.get_weights()])
    return copy
