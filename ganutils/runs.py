"""A training run: a configuration in, a folder of report material out.

`train(TrainConfig(...))` is what notebooks and `python -m ganutils train` call. The folder
it fills:

    config.json        the settings, checked again when the run is resumed
    losses.json        per-batch and per-epoch losses (and seconds per epoch)
    frames/            epoch_NNNN.png: a grid from fixed noise after every epoch
    training.gif       those frames as an animation
    samples.png        the final grid
    generator.keras    the final generator
    snapshots/         generator_epoch_NNNN.keras at the chosen epochs
    state.weights.h5   everything needed to resume exactly (see callbacks.ResumeState)

Run the same call again after an interruption and it continues from the last epoch it
completed; give a larger `epochs` to train a finished run further.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from . import callbacks as cb
from . import data, models
from .augment import parse_policy
from .errors import ConfigError, check_choice
from .files import check_writable, write_json
from .gif import frames_to_gif
from .plots import save_grid
from .training import GAN, ConditionalGAN

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")

# Settings that define the run: changing one of them on resume would mix two experiments.
IDENTITY = ("dataset", "model", "batch_size", "latent_dim", "seed", "limit", "classes",
            "image_size", "data_path", "lr", "beta_1", "label_smoothing", "ema", "precision",
            "augment", "steps_per_epoch")


@dataclass
class TrainConfig:
    """Everything a run needs; `None` means the model's own default (from `models.MODELS`)."""

    dataset: str = "mnist"
    model: str = "mlp"
    epochs: int = 20
    steps_per_epoch: int | None = None  # batches per epoch (None: one pass over the data);
                                        # fewer make more, shorter epochs on a large dataset
    batch_size: int | None = None
    latent_dim: int | None = None
    seed: int = 0
    out_dir: str = "runs/mnist_mlp"
    limit: int | None = None          # use only the first `limit` training images
    classes: list | None = None       # e.g. ["cat", "dog"] for CIFAR-10
    image_size: int | None = None     # image folders: side in pixels
    data_path: str | None = None      # dataset "folder": where the images are
    time_budget: float | None = None  # seconds for the whole run (resumes included); training
                                      # ends after the last epoch that fits
    snapshot_epochs: list = field(default_factory=list)
    lr: float = 2e-4
    beta_1: float = 0.5
    label_smoothing: float = 0.0
    ema: float = 0.999                # generator weight average (0: sample the raw generator)
    augment: str | None = None        # DiffAugment: "color,translation,cutout" or "diffaugment"
    grid: int = 100                   # images per frame
    quality_every: int = 1            # KID/FID every N epochs (0: never)
    quality_samples: int = 1000       # generated images per KID/FID measurement
    steps_per_execution: int = 1
    precision: str = "float32"        # or "mixed_bfloat16" (CPUs with bf16), "mixed_float16" (GPUs)
    jit_compile: bool | None = None   # XLA; None: on (see build_gan)

    def validated(self) -> "TrainConfig":
        """A copy with model defaults filled in; a ConfigError for anything a run can't use."""
        check_choice("dataset", self.dataset, data.DATASETS)
        spec = models.get(self.model)
        def default(value, fallback):
            return fallback if value is None else value

        c = dataclasses.replace(self, batch_size=default(self.batch_size, spec.batch_size),
                                latent_dim=default(self.latent_dim, spec.latent_dim),
                                image_size=default(self.image_size, spec.image_shape[0]),
                                snapshot_epochs=sorted(int(e) for e in self.snapshot_epochs))
        check_choice("precision", c.precision, PRECISIONS)
        parse_policy(c.augment)
        if c.jit_compile not in (None, True, False):
            raise ConfigError(f"jit_compile must be True, False or None (automatic), got {c.jit_compile!r}")
        _check_int("epochs", c.epochs, 0)
        _check_int("batch_size", c.batch_size, 1)
        _check_int("latent_dim", c.latent_dim, 1)
        _check_int("seed", c.seed, 0)
        _check_int("grid", c.grid, 1)
        _check_int("steps_per_execution", c.steps_per_execution, 1)
        _check_int("quality_every", c.quality_every, 0)
        _check_int("quality_samples", c.quality_samples, 2)
        if c.limit is not None:
            _check_int("limit", c.limit, 1)
        if c.steps_per_epoch is not None:
            _check_int("steps_per_epoch", c.steps_per_epoch, 1)
        for name in ("lr", "beta_1", "label_smoothing"):
            if not isinstance(getattr(c, name), (int, float)) or isinstance(getattr(c, name), bool):
                raise ConfigError(f"{name} must be a number, got {getattr(c, name)!r}")
        if not 0 < c.lr < 1:
            raise ConfigError(f"lr must be between 0 and 1, got {c.lr}")
        if not isinstance(c.ema, (int, float)) or isinstance(c.ema, bool) or not 0 <= c.ema < 1:
            raise ConfigError(f"ema must be a number in [0, 1) (0 turns the average off), got {c.ema!r}")
        if not 0 <= c.label_smoothing < 0.5:
            raise ConfigError(f"label_smoothing must be in [0, 0.5), got {c.label_smoothing}")
        if c.time_budget is not None and not (isinstance(c.time_budget, (int, float))
                                              and c.time_budget > 0):
            raise ConfigError(f"time_budget must be a positive number of seconds or None, "
                              f"got {c.time_budget!r}")
        channels = {"mnist": 1, "fashion_mnist": 1}.get(c.dataset, 3)
        side = {"mnist": 28, "fashion_mnist": 28, "cifar10": 32}.get(c.dataset, c.image_size)
        if (side, side, channels) != tuple(spec.image_shape):
            raise ConfigError(f"model {c.model!r} makes {spec.image_shape} images but dataset "
                              f"{c.dataset!r} has {(side, side, channels)}: pick a model for "
                              f"that dataset ({', '.join(_models_for(side, channels))})")
        if spec.conditional and c.dataset in ("pokemon", "folder"):
            raise ConfigError(f"model {c.model!r} is conditional and needs labelled data; "
                              f"dataset {c.dataset!r} has no labels")
        return c


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")


def _models_for(side, channels):
    return [n for n, s in models.MODELS.items() if tuple(s.image_shape) == (side, side, channels)]


@dataclass
class Run:
    """What `train` returns: where everything is, and the objects to keep working with."""

    config: TrainConfig
    out_dir: Path
    gan: GAN
    history: dict
    epochs_done: int
    train_seconds: float
    images: int
    budget_stopped_at: int | None = None
    quality_seconds: float = 0.0
    epochs_now: int = 0               # epochs trained by this call (not earlier, resumed ones)

    @property
    def generator(self):
        """The generator to sample from: the weight average when the run used `ema`."""
        return self.gan.sampler

    @property
    def images_per_second(self) -> float:
        """Training throughput of this call of `train` (quality measurement included)."""
        per_epoch = self.config.steps_per_epoch or self.images // self.config.batch_size
        seen = self.epochs_now * per_epoch * self.config.batch_size
        return seen / max(self.train_seconds, 1e-9)

    def path(self, name: str) -> Path:
        return self.out_dir / name


def build_gan(config: TrainConfig) -> GAN:
    """The compiled GAN that `config` describes (models built with the run's seed)."""
    c = config.validated()
    spec = models.get(c.model)
    keras.utils.set_random_seed(c.seed)
    with _dtype_policy(c.precision):
        generator, discriminator = spec.build(c.latent_dim)
    if c.precision != "float32":  # images and logits leave the networks in float32
        generator, discriminator = _float32_output(generator), _float32_output(discriminator)
    cls = ConditionalGAN if spec.conditional else GAN
    gan = cls(generator, discriminator, latent_dim=c.latent_dim, seed=c.seed, ema=c.ema,
              augment=c.augment)

    def adam():
        opt = keras.optimizers.Adam(c.lr, beta_1=c.beta_1)
        # float16 gradients underflow without loss scaling; bfloat16 has float32's range.
        return keras.optimizers.LossScaleOptimizer(opt) if c.precision == "mixed_float16" else opt

    # XLA fuses the many small element-wise ops (batch norm, activations, Adam, the EMA) of a
    # step. On a 2-core CPU it was faster for six of the seven models (1.07-1.48x for the
    # convolutional ones, benchmarks/README.md) and level for dcgan_transpose, so it is on.
    # JAX always compiles its step with XLA (without, it runs op by op).
    xla = True if c.jit_compile is None else c.jit_compile
    gan.compile(d_optimizer=adam(), g_optimizer=adam(), jit_compile=xla,
                label_smoothing=c.label_smoothing, steps_per_execution=c.steps_per_execution)
    return gan


@contextlib.contextmanager
def _dtype_policy(name: str):
    """Build layers under the Keras dtype policy `name` (e.g. "mixed_bfloat16": bfloat16
    compute, float32 weights), then restore the global policy."""
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def _float32_output(model):
    """`model` with a float32 cast on its output, as the Keras mixed-precision guide advises
    for the last layer: tanh images and logits are then exact enough for the loss and plots."""
    out = keras.layers.Activation("linear", dtype="float32", name="to_float32")(model.outputs[0])
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, out, name=model.name)


def _check_same_run(out: Path, c: TrainConfig):
    saved = out / "config.json"
    if not (out / "state.weights.h5").exists() or not saved.exists():
        return
    old = json.loads(saved.read_text())
    now = json.loads(json.dumps(dataclasses.asdict(c)))
    defaults = dataclasses.asdict(TrainConfig())  # settings added since that run was made
    diff = [k for k in IDENTITY if old.get(k, defaults[k]) != now.get(k)]
    if diff:
        raise ConfigError(f"{out} holds a run with different {', '.join(diff)}: choose another "
                          "out_dir, or delete that folder to start again")


def train(config: TrainConfig | None = None, verbose: int = 2, extra_callbacks=(), **kw) -> Run:
    """Train (or resume) the run `config` describes; keyword arguments override its fields."""
    c = dataclasses.replace(config or TrainConfig(), **kw).validated()
    out = check_writable(c.out_dir)
    _check_same_run(out, c)
    for stale in out.rglob(".*.tmp*"):  # left by a run killed while writing: never loaded
        stale.unlink()

    spec = models.get(c.model)
    images, labels, _ = data.load_arrays(c.dataset, "train", c.classes, c.image_size,
                                         c.limit, c.data_path)
    gan = build_gan(c)
    done = cb.restore(gan, out / "state.weights.h5")
    write_json(out / "config.json", dataclasses.asdict(c))

    steps = len(images) // c.batch_size
    if steps < 1:
        raise ConfigError(f"batch_size {c.batch_size} is larger than the dataset "
                          f"({len(images)} images): lower batch_size or raise limit")
    remaining = max(c.epochs - done, 0)
    budget = None
    if c.time_budget:  # the run's budget: what earlier calls spent counts against it
        seconds = _read_history(out)["seconds"][:done] if done else []
        budget = cb.TimeBudget(c.time_budget, sum(seconds), max(seconds, default=0.0))
        if budget.exhausted():
            remaining = 0
    quality = _quality_callback(c, images, out) if c.quality_every else None
    callbacks = [*([quality] if quality else []),  # before LossLog, which records its values
                 cb.LossLog(out / "losses.json"),
                 cb.GridFrames(out / "frames", cb.fixed_inputs(gan, c.grid, c.seed)),
                 cb.Snapshots(out / "snapshots", c.snapshot_epochs),
                 *extra_callbacks,
                 *([budget] if budget else []),
                 cb.ResumeState(out / "state.weights.h5")]  # last: after the epoch's files

    t0 = time.perf_counter()
    if remaining:
        per_epoch = c.steps_per_epoch or steps
        first, total = done * per_epoch, remaining * per_epoch  # batches since the start
        ds = data.to_dataset(images, labels if spec.conditional else None, c.batch_size,
                             c.seed, epochs=-(-(first % steps + total) // steps),
                             start_epoch=first // steps, skip=first % steps, take=total)
        gan.fit(ds, epochs=c.epochs, initial_epoch=done, steps_per_epoch=per_epoch,
                callbacks=callbacks, verbose=verbose, shuffle=False)
    seconds = time.perf_counter() - t0
    run = finish(c, out, gan, seconds, len(images), budget.stopped_at if budget else None)
    run.quality_seconds = quality.seconds if quality else 0.0
    run.epochs_now = run.epochs_done - done
    return run


def _quality_callback(c: TrainConfig, images, out: Path):
    """KID/FID during training against features of (up to) 5,000 real training images."""
    from .evaluation import FeatureSpace

    space = FeatureSpace(c.dataset)
    pick = np.random.default_rng(c.seed).permutation(len(images))[:5000]
    reference, _ = space((images[pick].astype(np.float32) - 127.5) / 127.5)
    return cb.Quality(space, reference, out, c.quality_samples, c.quality_every, c.seed)


def _read_history(out: Path) -> dict:
    if (out / "losses.json").exists():
        return json.loads((out / "losses.json").read_text())
    return {"epochs": [], "d_loss": [], "g_loss": [], "seconds": [], "batches": {}}


def finish(c: TrainConfig, out: Path, gan: GAN, seconds: float, n_images: int,
           budget_stopped_at=None) -> Run:
    """Write the end-of-run files (GIF, final grid, generator) and gather the Run."""
    epochs_done = int(keras.ops.convert_to_numpy(gan.epochs_done))
    history = _read_history(out)
    if epochs_done:
        frames_to_gif(out / "frames", out / "training.gif")
        final = keras.ops.convert_to_numpy(gan.sampler(cb.fixed_inputs(gan, c.grid, c.seed)))
        save_grid(final, out / "samples.png", 10)
        cb.save_generator(gan.sampler, out / "generator.keras")
    return Run(c, out, gan, history, epochs_done, seconds, n_images, budget_stopped_at)


# Named configurations: the seeds' experiments, runnable as `python -m ganutils train NAME`.
CONFIGS = {
    "mnist_gan": TrainConfig("mnist", "mlp", epochs=30, out_dir="runs/mnist_gan"),
    "mnist_dcgan": TrainConfig("mnist", "dcgan_upsample", epochs=10, out_dir="runs/mnist_dcgan"),
    "mnist_dcgan_transpose": TrainConfig("mnist", "dcgan_transpose", epochs=10,
                                         out_dir="runs/mnist_dcgan_transpose"),
    "mnist_cgan": TrainConfig("mnist", "cgan_mlp", epochs=30, out_dir="runs/mnist_cgan"),
    "fashion_cgan": TrainConfig("fashion_mnist", "cgan_mlp", epochs=30, out_dir="runs/fashion_cgan"),
    "cifar_dog": TrainConfig("cifar10", "dcgan32", epochs=100, classes=["dog"],
                             out_dir="runs/cifar_dog"),
    "cifar_cat_dog": TrainConfig("cifar10", "dcgan32", epochs=60, classes=["cat", "dog"],
                                 out_dir="runs/cifar_cat_dog"),
    "cifar10": TrainConfig("cifar10", "dcgan32", epochs=20, out_dir="runs/cifar10"),
    "cifar10_maxpool": TrainConfig("cifar10", "maxpool32", epochs=20, out_dir="runs/cifar10_maxpool"),
    "pokemon": TrainConfig("pokemon", "dcgan64", epochs=200, out_dir="runs/pokemon"),
}
