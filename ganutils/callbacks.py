"""Keras callbacks that turn a `fit` into a report: frames, losses, quality, snapshots, budget.
(Resuming is `checkpoint.ResumeState`.)

Every file is written under a temporary name and renamed (`files.atomic_path`), so a run
killed at any moment leaves only whole files behind.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras
import numpy as np

from . import plots
from .checkpoint import save_generator
from .errors import TrainingDiverged
from .files import atomic_path, write_json
from .sampling import num_classes as known_classes


def fixed_inputs(gan, n: int = 100, seed: int = 0, num_classes: int | None = None):
    """The noise (and labels) every frame is drawn from: fixed, so frames are comparable.

    For a conditional GAN the labels are 0,0,...,1,1,... over the classes its generator
    knows: with ten classes, each row of a 10-wide grid holds one class.
    """
    noise = np.random.default_rng(seed).standard_normal((n, gan.latent_dim)).astype("float32")
    if not getattr(gan, "conditional", False):
        return noise
    num_classes = num_classes or known_classes(gan.generator)
    labels = np.repeat(np.arange(num_classes), int(math.ceil(n / num_classes)))[:n]
    return [noise, labels.reshape(-1, 1).astype("int32")]


def by_class(images, per_class: int = 5, classes: int = 10):
    """From images drawn for labels 0,0,...,1,1,... (as `fixed_inputs` draws them, as many
    of each), the first `per_class` of each label, in rows."""
    images = np.asarray(images)
    return images.reshape(classes, -1, *images.shape[1:])[:, :per_class].reshape(-1, *images.shape[1:])


def snapshot_panel(gan, generator, seed: int = 0, n: int = 36):
    """What a snapshot strip shows of `generator` (numpy, in [-1, 1]): `n` images from the
    fixed noise, or for a conditional GAN five of each class, one class a row."""
    if not getattr(gan, "conditional", False):
        return keras.ops.convert_to_numpy(generator(fixed_inputs(gan, n, seed), training=False))
    k = known_classes(gan.generator)
    images = generator(fixed_inputs(gan, 10 * k, seed), training=False)
    return by_class(keras.ops.convert_to_numpy(images), 5, k)


class GridFrames(keras.callbacks.Callback):
    """Save `frames/epoch_NNNN.png`, a grid generated from fixed inputs, after every epoch."""

    def __init__(self, frames_dir, inputs, cols: int = 10):
        super().__init__()
        self.frames_dir, self.inputs, self.cols = Path(frames_dir), inputs, cols

    def on_epoch_end(self, epoch, logs=None):
        images = keras.ops.convert_to_numpy(self.model.sampler(self.inputs, training=False))
        plots.save_grid(images, self.frames_dir / f"epoch_{epoch + 1:04d}.png", self.cols)


def empty_history() -> dict:
    """The layout of `losses.json`: per-epoch lists (`epochs`, the losses, `seconds`,
    `device`, and `kid`/`kid_std`/`fid` where measured) and every batch's losses."""
    return {"epochs": [], "d_loss": [], "g_loss": [], "seconds": [],
            "batches": {"epoch": [], "step": [], "d_loss": [], "g_loss": []}}


class LossLog(keras.callbacks.Callback):
    """Keep every batch's and every epoch's losses in `losses.json`, and stop on NaN.

    Keras logs the *running mean* of each loss over the epoch; the loss of the batches
    since the last call is recovered from two consecutive means
    (sum_k = (k+1) * mean_k), so it stays exact even with `steps_per_execution` > 1.
    A resumed run drops what was logged after its restored epoch and appends.
    """

    KEYS = ("d_loss", "g_loss")

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)
        self.history = None

    def on_train_begin(self, logs=None):
        start = int(keras.ops.convert_to_numpy(self.model.epochs_done))
        old = _read_json(self.path) if start > 0 else None
        if old:  # drop what was logged after the restored epoch
            resumed = [e for e in old.pop("resumed_after", []) if e < start] + [start]
            keep = [e <= start for e in old["epochs"]]
            bkeep = [e <= start for e in old["batches"]["epoch"]]
            old = {k: ([x for x, ok in zip(v, keep) if ok] if isinstance(v, list) else
                       {bk: [x for x, ok in zip(bv, bkeep) if ok] for bk, bv in v.items()})
                   for k, v in old.items()}
            old["resumed_after"] = resumed  # the epochs after which a later call continued
        self.device = device_description()
        self.history = old or empty_history()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.seen, self.sums, self.t0 = epoch + 1, 0, dict.fromkeys(self.KEYS, 0.0), \
            time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        done = batch + 1
        b = self.history["batches"]
        b["epoch"].append(self.epoch)
        b["step"].append(done)
        for k in self.KEYS:
            total = float(logs[k]) * done
            value = (total - self.sums[k]) / (done - self.seen)
            self.sums[k] = total
            b[k].append(value)
            if not math.isfinite(value):
                self.model.stop_training = True
                raise TrainingDiverged(
                    f"{k} became {value} at epoch {self.epoch}, batch {done}: training stopped. "
                    "The last good state is the checkpoint of the previous epoch; lower the "
                    "learning rates or enable label smoothing, then run the same command again.")
        self.seen = done

    def on_epoch_end(self, epoch, logs=None):
        h = self.history
        h["seconds"].append(time.perf_counter() - self.t0)
        h["epochs"].append(epoch + 1)
        h.setdefault("device", [None] * (len(h["epochs"]) - 1)).append(self.device)
        # Any other per-epoch value (KID and FID from Quality) is kept too, None where absent.
        for k in set(logs) | (set(h) - {"epochs", "seconds", "batches", "device", "resumed_after"}):
            h.setdefault(k, [None] * (len(h["epochs"]) - 1))
            h[k].append(None if logs.get(k) is None else float(logs[k]))
        write_json(self.path, h)


def device_description() -> str:
    """What is training, for losses.json and metrics.json: the GPU's name, or the CPU with
    its vector units and core count, with the Keras backend."""
    from .jit import cpu_description

    backend = keras.backend.backend()
    name = f"CPU: {cpu_description()}"
    if backend == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        if gpus:
            name = f"GPU: {gpus[0].device_kind} x{len(gpus)}"
    elif backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            name = f"GPU: {details.get('device_name', gpus[0].name)} x{len(gpus)}"
    return f"{name} (Keras {backend})"


def _read_json(path):
    import json

    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


class Quality(keras.callbacks.Callback):
    """Every `every` epochs, KID and FID of `n` samples from fixed noise against real reference
    features; adds `kid`, `kid_std`, `fid` to the epoch's logs (so `LossLog`, placed after
    it, records them) and keeps the best generator so far as `generator_best.keras`."""

    def __init__(self, space, reference_features, out_dir, n: int = 1000, every: int = 1,
                 seed: int = 0):
        super().__init__()
        self.space, self.reference, self.out = space, reference_features, Path(out_dir)
        self.n, self.every, self.seed = n, every, seed
        self.seconds = 0.0

    def on_train_begin(self, logs=None):
        self.best = _read_json(self.out / "best.json") or {"epoch": None, "kid": math.inf}

    def on_epoch_end(self, epoch, logs=None):
        from .evaluation import scores
        from .sampling import sample

        if (epoch + 1) % self.every:
            return
        t0 = time.perf_counter()
        features, _ = self.space(sample(self.model.sampler, self.n, self.seed)[0])
        result = scores(features, self.reference, kid_subsets=10)
        logs.update(result)
        if result["kid"] < self.best["kid"]:
            self.best = {"epoch": epoch + 1, **result}
            save_generator(self.model.sampler, self.out / "generator_best.keras")
            write_json(self.out / "best.json", self.best)
        self.seconds += time.perf_counter() - t0


class Snapshots(keras.callbacks.Callback):
    """Save the generator as `generator_epoch_NNNN.keras` at the chosen epochs (1-based)."""

    def __init__(self, folder, epochs=()):
        super().__init__()
        self.folder, self.epochs = Path(folder), {int(e) for e in epochs}

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            save_generator(self.model.sampler, self.folder / f"generator_epoch_{epoch + 1:04d}.keras")


class TimeBudget(keras.callbacks.Callback):
    """End training cleanly after the epoch in progress once the next would overrun `seconds`.

    The budget is the whole run's, counted in the epochs' training seconds as `LossLog`
    records them (`log`, placed before this callback): `spent` seconds of earlier calls (a
    resumed run) count against it, so a run resumed after a lost session trains what its
    budget has left, and a finished notebook executed again trains nothing more. Both
    decisions read the same record: one that counted the wall clock while training (with
    its checkpoints and frames) but the record when resuming would stop short, then train
    again. The forecast for the next epoch is the slowest so far.
    """

    def __init__(self, seconds: float, spent: float = 0.0, slowest: float = 0.0, log=None):
        super().__init__()
        self.seconds, self.spent, self.slowest = float(seconds), float(spent), float(slowest)
        self.log = log
        self.stopped_at = None

    def exhausted(self) -> bool:
        """True when not even one more epoch fits (by the slowest epoch so far)."""
        return self.slowest > 0 and self.spent + self.slowest > self.seconds

    def on_epoch_end(self, epoch, logs=None):
        done = self.log.history["seconds"]  # every epoch of the run, earlier calls' included
        self.spent, self.slowest = sum(done), max(done)
        if self.exhausted():
            self.model.stop_training = True
            self.stopped_at = epoch + 1
