"""DiffAugment: shapes, what each transform does, gradients through it, and its use in training."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ganutils import augment, checkpoint, runs
from ganutils.errors import ConfigError


def _images(n=8, side=16, channels=3):
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (n, side, side, channels)).astype("float32")


def test_policy_parsing():
    assert augment.parse_policy(None) == ()
    assert augment.parse_policy("diffaugment") == augment.POLICIES
    assert augment.parse_policy("translation, cutout") == ("translation", "cutout")
    with pytest.raises(ConfigError, match="unknown augmentation flip"):
        augment.parse_policy("color,flip")
    with pytest.raises(ConfigError, match="augment"):
        runs.TrainConfig(augment="rotate").validated()


def test_translation_shifts_whole_pixels_and_pads_with_zero():
    x = _images()
    y = keras.ops.convert_to_numpy(augment.translation(x, keras.random.SeedGenerator(1)))
    assert y.shape == x.shape
    found_shift = False
    for a, b in zip(x, y):  # each output is the input moved by some (dy, dx) within 1/8 of 16 = 2
        match = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.allclose(np.roll(a, (dy, dx), (0, 1))[2:-2, 2:-2], b[2:-2, 2:-2], atol=1e-6)]
        assert match, "output is not a shifted copy of its input"
        dy, dx = match[0]
        found_shift |= (dy, dx) != (0, 0)
        if dy > 0:
            assert np.all(b[:dy] == 0)  # rows shifted in from outside are zero
    assert found_shift


def test_cutout_zeroes_one_square_per_image():
    x = _images(n=16) + 2.0  # no zeros of its own
    y = keras.ops.convert_to_numpy(augment.cutout(x, keras.random.SeedGenerator(2)))
    for a, b in zip(x, y):
        zero = np.all(b == 0, axis=-1)
        assert np.allclose(b[~zero], a[~zero])
        assert 0 < zero.sum() <= 8 * 8  # half the side: at most an 8x8 square on 16x16
        rows, cols = np.where(zero)
        assert zero[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()  # a rectangle


def test_color_changes_images_and_is_random_per_image():
    x = np.repeat(_images(n=1), 8, axis=0)
    y = keras.ops.convert_to_numpy(augment.color(x, keras.random.SeedGenerator(3)))
    assert y.shape == x.shape and np.isfinite(y).all()
    assert not np.allclose(y[0], x[0])
    assert not np.allclose(y[0], y[1])  # each image its own brightness, saturation, contrast


def test_gradient_flows_through_every_transform():
    import tensorflow as tf

    x = tf.Variable(_images())
    with tf.GradientTape() as tape:
        y = augment.diff_augment(x, keras.random.SeedGenerator(4))
        loss = tf.reduce_sum(y * y)
    grad = tape.gradient(loss, x).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0


def test_augmented_training_uses_and_saves_its_random_stream(tmp_path):
    kw = dict(dataset="mnist", model="mlp", epochs=1, limit=256, batch_size=64, quality_every=0,
              out_dir=str(tmp_path / "run"), augment="translation,cutout")
    run = runs.train(runs.TrainConfig(**kw), verbose=0)
    assert run.gan.augment == ("translation", "cutout")
    state = keras.ops.convert_to_numpy(run.gan.augment_seed.state)
    gan = runs.build_gan(runs.TrainConfig(**kw))
    assert not np.array_equal(keras.ops.convert_to_numpy(gan.augment_seed.state), state)
    checkpoint.restore(gan, tmp_path / "run" / "state.weights.h5")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(gan.augment_seed.state), state)
    with pytest.raises(ConfigError, match="augment"):  # resuming with another policy is refused
        runs.train(runs.TrainConfig(**{**kw, "augment": None}), verbose=0)
