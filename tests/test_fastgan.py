"""FastGAN (`ganutils.fastgan`): the reconstructing discriminator trains its decoders, its
reconstruction reaches the discriminator's weights, and a few steps lower its losses."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ganutils import data, fastgan, runs


def _gan(**kw):
    c = runs.TrainConfig(dataset="pokemon", model="fastgan64", loss="hinge",
                         augment="color,translation", jit_compile=False, **kw)
    return runs.build_gan(c)


def _shapes(n=16, seed=0):
    """Flat-coloured discs and squares on white: pictures a tiny network can learn quickly."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:64, :64]
    images = np.full((n, 64, 64, 3), 255, np.uint8)
    for img in images:
        cy, cx, r = rng.integers(20, 44, 2).tolist() + [int(rng.integers(8, 18))]
        mask = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r) if rng.random() < 0.5 else \
            ((abs(yy - cy) < r) & (abs(xx - cx) < r))
        img[mask] = rng.integers(0, 200, 3)
    return images


def test_the_reconstruction_reaches_the_discriminator_and_its_decoders():
    gan = _gan()
    real = tf.constant(_shapes(4) / 127.5 - 1, tf.float32)
    with tf.GradientTape() as tape:
        _, rec = gan.real_scores(real, None)
    d_weights = gan.discriminator.trainable_variables
    decoders = [*gan.decode_whole.trainable_variables, *gan.decode_quarter.trainable_variables]
    grads = tape.gradient(rec, d_weights + decoders)
    moved = [g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in grads]
    assert all(moved[len(d_weights):])  # every decoder weight
    # the discriminator's layers up to its 16x16 and 8x8 features (not its logit head)
    assert sum(moved[:len(d_weights)]) >= len(d_weights) // 2
    assert float(rec) > 0
    # and the discriminator's optimizer steps the decoders with its own weights
    assert gan.trainable_weights_of(gan.discriminator) == d_weights + decoders


def test_quarters_are_picked_per_image():
    x = np.arange(2 * 4 * 4, dtype="float32").reshape(2, 4, 4, 1)
    picked = np.asarray(fastgan.pick(fastgan.quarters(x), np.array([0, 3])))
    np.testing.assert_array_equal(picked[0, ..., 0], x[0, :2, :2, 0])
    np.testing.assert_array_equal(picked[1, ..., 0], x[1, 2:, 2:, 0])


def test_a_few_steps_lower_the_reconstruction_and_discriminator_losses():
    gan = _gan(batch_size=8)
    ds = data.to_dataset(_shapes(16), None, 8, seed=0, epochs=None)
    history = gan.fit(ds, epochs=3, steps_per_epoch=4, verbose=0, shuffle=False).history
    assert history["rec_loss"][-1] < 0.7 * history["rec_loss"][0]
    assert history["d_loss"][-1] < history["d_loss"][0]
    assert np.isfinite(history["g_loss"]).all()


def test_r1_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="reconstruction"):
        _gan(r1=1.0)
