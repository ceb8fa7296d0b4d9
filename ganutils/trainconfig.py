"""A training run's settings (`TrainConfig`), their checks, and the named configurations.

Nothing here imports TensorFlow, so `python -m ganutils --help` answers at once; the checks
that need the model registry import it when a configuration is validated.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from . import datasets
from .errors import ConfigError, check_choice

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
LOSSES = ("bce", "hinge")
UPDATES = ("alternating", "simultaneous")

# Settings that define the run: changing one of them on resume would mix two experiments.
IDENTITY = ("dataset", "model", "batch_size", "latent_dim", "seed", "limit", "classes",
            "image_size", "data_path", "lr", "d_lr", "beta_1", "loss", "spectral_norm",
            "label_smoothing", "r1", "update", "ema", "precision", "augment", "steps_per_epoch", "mirror")


@dataclass
class TrainConfig:
    """Everything a run needs; `None` means the model's own default (from `models.MODELS`).
    `HELP` below says what each field does."""

    dataset: str = "mnist"
    model: str = "mlp"
    epochs: int = 20
    steps_per_epoch: int | None = None
    batch_size: int | None = None
    latent_dim: int | None = None
    seed: int = 0
    out_dir: str = "runs/mnist_mlp"
    limit: int | None = None
    classes: list | None = None
    image_size: int | None = None
    data_path: str | None = None
    time_budget: float | None = None
    snapshot_epochs: list = field(default_factory=list)
    lr: float = 2e-4
    d_lr: float | None = None
    beta_1: float = 0.5
    loss: str = "bce"
    spectral_norm: bool = False
    label_smoothing: float = 0.0
    r1: float = 0.0
    update: str = "alternating"
    ema: float = 0.999
    augment: str | None = None
    mirror: bool = False
    grid: int = 100
    quality_every: int = 1
    quality_samples: int = 1000
    steps_per_execution: int = 1
    precision: str = "float32"
    jit_compile: bool | None = None

    @property
    def labels(self) -> list:
        """The dataset's labels this run trains on, in `classes`' order: a conditional model
        knows them as 0, 1, ... (`datasets.class_labels`)."""
        return datasets.class_labels(self.dataset, self.classes)

    def validated(self) -> "TrainConfig":
        """A copy with model defaults filled in; a ConfigError for anything a run can't use."""
        from . import models
        from .augment import parse_policy

        data_spec = datasets.get(self.dataset)
        spec = models.get(self.model)
        c = dataclasses.replace(
            self, batch_size=_default(self.batch_size, spec.batch_size),
            latent_dim=_default(self.latent_dim, spec.latent_dim),
            image_size=_default(self.image_size, spec.image_shape[0]),
            snapshot_epochs=sorted(int(e) for e in self.snapshot_epochs))
        check_choice("precision", c.precision, PRECISIONS)
        check_choice("loss", c.loss, LOSSES)
        check_choice("update", c.update, UPDATES)
        parse_policy(c.augment)
        for name in ("spectral_norm", "mirror"):
            if not isinstance(getattr(c, name), bool):
                raise ConfigError(f"{name} must be True or False, got {getattr(c, name)!r}")
        if c.jit_compile not in (None, True, False):
            raise ConfigError(f"jit_compile must be True, False or None (automatic), got {c.jit_compile!r}")
        for name, low in (("epochs", 0), ("batch_size", 1), ("latent_dim", 1), ("seed", 0),
                          ("grid", 1), ("steps_per_execution", 1), ("quality_every", 0),
                          ("quality_samples", 2)):
            _check_int(name, getattr(c, name), low)
        for name in ("limit", "steps_per_epoch"):
            if getattr(c, name) is not None:
                _check_int(name, getattr(c, name), 1)
        for name in ("lr", "d_lr"):
            _check_number(name, getattr(c, name), 0, 1, optional=name == "d_lr")
        _check_number("beta_1", c.beta_1, 0, 1, low_ok=True)
        _check_number("ema", c.ema, 0, 1, low_ok=True, hint=" (0 turns the average off)")
        _check_number("label_smoothing", c.label_smoothing, 0, 0.5, low_ok=True)
        _check_number("r1", c.r1, 0, 1000, low_ok=True, hint=" (0 turns the penalty off)")
        if c.loss == "hinge" and c.label_smoothing:
            raise ConfigError("label_smoothing applies to the bce loss only: set it to 0 "
                              "with loss='hinge'")
        if c.time_budget is not None and not (_is_number(c.time_budget) and c.time_budget > 0):
            raise ConfigError(f"time_budget must be a positive number of seconds or None, "
                              f"got {c.time_budget!r}")
        if data_spec.shape(c.image_size) != tuple(spec.image_shape):
            fits = [n for n, s in models.MODELS.items()
                    if tuple(s.image_shape) == data_spec.shape(c.image_size)]
            raise ConfigError(f"model {c.model!r} makes {spec.image_shape} images but dataset "
                              f"{c.dataset!r} has {data_spec.shape(c.image_size)}: pick a model "
                              f"for that dataset ({', '.join(fits)})")
        if spec.conditional and not data_spec.labelled:
            raise ConfigError(f"model {c.model!r} is conditional and needs labelled data; "
                              f"dataset {c.dataset!r} has no labels")
        return c


# What each field does: the command line's help text (`python -m ganutils train --help`).
HELP = {
    "dataset": f"one of {', '.join(datasets.DATASETS)}",
    "model": "a generator/discriminator pair from ganutils.models, e.g. dcgan32",
    "epochs": "epochs in all (a resumed run trains the rest; more continues a finished one)",
    "steps_per_epoch": "batches per epoch (default: one pass over the data)",
    "batch_size": "images per batch (default: the model's)",
    "latent_dim": "noise dimensions (default: the model's)",
    "seed": "seed of the weights, the noise and the shuffling",
    "out_dir": "output folder; the same folder again resumes the run",
    "limit": "use only the first N training images",
    "classes": "class names to keep, e.g. cat dog for CIFAR-10",
    "image_size": "image side in pixels, for image folders",
    "data_path": "the image folder, for dataset 'folder'",
    "time_budget": "seconds for the whole run, resumes included; ends after the last epoch that fits",
    "snapshot_epochs": "epochs after which to save the generator under snapshots/",
    "lr": "Adam learning rate of the generator (and of the discriminator unless --d-lr)",
    "d_lr": "the discriminator's own learning rate (two time-scales, Heusel et al. 2017)",
    "beta_1": "Adam's first-moment decay for both networks",
    "loss": "bce (non-saturating, Goodfellow et al. 2014) or hinge (as SN-GAN)",
    "spectral_norm": "spectral normalisation of every discriminator layer (Miyato et al. 2018)",
    "label_smoothing": "real target 1 - s for the discriminator (one-sided; bce loss only)",
    "r1": "R1 penalty weight gamma on the discriminator's gradient at real images, e.g. "
          "0.1 to 10 (Mescheder et al. 2018; 0: off)",
    "update": "alternating (D steps, then G against the updated D) or simultaneous (both "
              "from one scoring of the fakes, as the TensorFlow DCGAN tutorial)",
    "ema": "generator weight-average decay, e.g. 0.999 (0: sample the raw generator)",
    "augment": "DiffAugment of D's input: diffaugment (colour, translation, cutout) or a "
               "comma-separated subset",
    "mirror": "train on every picture and its left-right mirror image (twice the data, for "
              "small sets whose subjects face either way)",
    "grid": "images per frame of the epoch GIF",
    "quality_every": "measure KID/FID every N epochs (0: never)",
    "quality_samples": "generated images per KID/FID measurement",
    "steps_per_execution": "training steps per call of the compiled function",
    "precision": f"one of {', '.join(PRECISIONS)}: bfloat16 pays on CPUs with bf16 units",
    "jit_compile": "XLA: on, off, or auto (time both on this machine, keep the faster)",
}


def _default(value, fallback):
    return fallback if value is None else value


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")


def _check_number(name, value, low, high, optional=False, low_ok=False, hint=""):
    if optional and value is None:
        return
    ok = _is_number(value) and (low <= value if low_ok else low < value) and value < high
    if not ok:
        bounds = f"in [{low}, {high})" if low_ok else f"between {low} and {high}"
        raise ConfigError(f"{name} must be a number {bounds}{hint}, got {value!r}")


# Named configurations: the writeups' experiments, runnable as `python -m ganutils train NAME`.
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
    # The writeup's 819 Pokemon with what did best in notebook 06: DiffAugment and a
    # generator that resizes instead of transposing.
    "pokemon": TrainConfig("pokemon", "dcgan64_resize", epochs=200, augment="diffaugment",
                           out_dir="runs/pokemon"),
    # FastGAN as its paper trains few-shot sets: hinge loss, colour and translation
    # DiffAugment, each picture and its mirror image (with our weight average, as every run).
    "pokemon_fastgan": TrainConfig("pokemon", "fastgan64", epochs=300, loss="hinge",
                                   augment="color,translation", mirror=True, batch_size=32,
                                   out_dir="runs/pokemon_fastgan"),
}
