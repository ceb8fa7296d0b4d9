"""Loaders: shapes, ranges, class filters, epoch-keyed shuffling, and the errors users meet."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from PIL import Image

from ganutils import data
from ganutils.errors import ConfigError, DataNotFoundError, NoImagesError
from conftest import needs_cifar, needs_fashion, needs_pokemon


def test_mnist_shapes_range_and_labels(mnist_arrays):
    images, labels = mnist_arrays
    assert images.shape == (60000, 28, 28, 1) and images.dtype == np.uint8
    assert labels.shape == (60000,)
    # The published training-set label counts.
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_mnist_dataset_batches_in_range(mnist_arrays):
    ds, n = data.mnist(batch_size=32, labels=True, limit=256)
    assert n == 256
    batches = list(ds)
    assert len(batches) == 8
    x, y = batches[0]
    assert x.shape == (32, 28, 28, 1) and y.shape == (32,)
    assert float(np.min(x)) >= -1.0 and float(np.max(x)) <= 1.0
    assert float(np.min(x)) == -1.0 and float(np.max(x)) == 1.0  # MNIST has pure black and white


@needs_fashion
def test_fashion_mnist_loads():
    ds, n = data.fashion_mnist(batch_size=16, limit=64)
    assert n == 64
    x = next(iter(ds))
    assert x.shape == (16, 28, 28, 1)


def test_read_idx_plain_and_gzip(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in arr.shape) + arr.tobytes()
    (tmp_path / "a").write_bytes(raw)
    (tmp_path / "a.gz").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a"), arr)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.gz"), arr)
    (tmp_path / "bad").write_bytes(b"not an idx file")
    with pytest.raises(DataNotFoundError, match="not an unsigned-byte IDX"):
        data.read_idx(tmp_path / "bad")


def test_shuffle_is_a_function_of_seed_and_epoch():
    images = np.arange(20, dtype=np.uint8).reshape(20, 1, 1, 1) * 10
    two = [b.numpy().ravel().tolist() for b in data.to_dataset(images, batch_size=20, epochs=2)]
    assert two[0] != two[1]  # reshuffled between epochs
    resumed = [b.numpy().ravel().tolist() for b in data.to_dataset(images, batch_size=20, epochs=1, start_epoch=1)]
    assert resumed[0] == two[1]  # a run resumed at epoch 1 sees epoch 1's order
    other = [b.numpy().ravel().tolist() for b in data.to_dataset(images, batch_size=20, seed=1)]
    assert other[0] != two[0]


def test_skip_and_take_resume_mid_pass_on_both_pipelines():
    """Training epochs shorter than a pass: a resumed run starts mid-pass, on the same batches."""
    images = np.arange(40, dtype=np.uint8).reshape(40, 1, 1, 1)
    stream = [b.numpy().ravel().tolist() for b in data.to_dataset(images, batch_size=8, epochs=3)]
    part = data.to_dataset(images, batch_size=8, epochs=2, start_epoch=1, skip=3, take=4)
    assert len(part) == 4
    assert [b.numpy().ravel().tolist() for b in part] == stream[8:12]  # epoch 1's batches 3, 4; epoch 2's 0, 1
    numpy = data.NumpyBatches(images, None, 8, 0, epochs=2, start_epoch=1, skip=3, take=4)
    assert len(numpy) == 4
    got = [np.rint(numpy[i] * 127.5 + 127.5).astype(int).ravel().tolist() for i in range(len(numpy))]
    whole = data.NumpyBatches(images, None, 8, 0, epochs=3)
    assert got == [np.rint(whole[i] * 127.5 + 127.5).astype(int).ravel().tolist() for i in range(8, 12)]
    with pytest.raises(IndexError):
        numpy[4]
    with pytest.raises(ConfigError, match="skip must be"):
        data.to_dataset(images, batch_size=8, skip=5)


def test_batch_larger_than_dataset_is_a_clear_error():
    with pytest.raises(ConfigError, match="larger than the dataset"):
        data.to_dataset(np.zeros((10, 28, 28, 1), np.uint8), batch_size=64)


@needs_cifar
def test_cifar10_class_filter():
    dogs, labels = data.cifar10_arrays("train", ["dog"])
    assert dogs.shape == (5000, 32, 32, 3) and set(labels.tolist()) == {5}
    ds, n = data.cifar10(batch_size=128, classes=["cat", "dog"], limit=None)
    assert n == 10000


def test_unknown_cifar_class_lists_valid_ones():
    with pytest.raises(ConfigError, match="airplane, automobile"):
        data.cifar10_arrays("train", ["dragon"])


@needs_pokemon
def test_pokemon_folder_64px():
    ds, n = data.load("pokemon", batch_size=64, size=64)
    assert n == 819
    x = next(iter(ds))
    assert x.shape == (64, 64, 64, 3)


def _save(path, mode, size, color):
    Image.new(mode, size, color).save(path, lossless=True)  # lossless applies to webp


def test_folder_converts_rgba_grey_and_sizes(tmp_path):
    _save(tmp_path / "a.png", "RGBA", (40, 40), (255, 0, 0, 0))      # fully transparent red
    _save(tmp_path / "b.png", "L", (20, 30), 0)                        # grey, not square
    (tmp_path / "sub").mkdir()
    _save(tmp_path / "sub" / "c.webp", "RGB", (64, 64), (0, 0, 255))   # found recursively
    images, _ = data.folder_arrays(tmp_path, size=16)
    assert images.shape == (3, 16, 16, 3)
    assert (images[0] == 255).all()   # transparent pixels composite to white, not red or black
    assert (images[1] == 0).all()     # grey became black RGB
    assert tuple(images[2, 0, 0]) == (0, 0, 255)


def test_folder_skips_corrupt_files_with_one_warning(tmp_path):
    _save(tmp_path / "good.png", "RGB", (8, 8), (1, 2, 3))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 this is not a jpeg")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.warns(UserWarning, match="skipped 2 unreadable"):
        images, _ = data.folder_arrays(tmp_path, size=8)
    assert len(images) == 1


def test_empty_and_unreadable_folders_are_errors(tmp_path):
    with pytest.raises(NoImagesError, match="no usable image"):
        data.folder_arrays(tmp_path, size=8)
    (tmp_path / "x.png").write_text("not a png")
    with pytest.warns(UserWarning), pytest.raises(NoImagesError, match="put jpg, png or webp"):
        data.folder_arrays(tmp_path, size=8)


def test_missing_folder_names_it(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        data.folder_arrays(tmp_path / "nope", size=8)


def test_missing_dataset_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GANUTILS_DATA", str(tmp_path))
    monkeypatch.setattr(data, "_keras_download", lambda name, split: None)  # as offline
    with pytest.raises(DataNotFoundError) as err:
        data.cifar10_arrays("train", ["dog"])
    msg = str(err.value)
    assert str(tmp_path / "cifar10") in msg and "GANUTILS_DATA" in msg


def test_unknown_dataset_lists_valid_ones():
    with pytest.raises(ConfigError, match="mnist, fashion_mnist, cifar10"):
        data.load("imagenet")
