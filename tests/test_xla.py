"""What steps around XLA's slow CPU lowerings: the transposed convolution computed by
output phases, and the strided convolution whose input gradient is, equal Keras's and are
used only where they were measured faster (under XLA, for large layers); so does the
max-pooling computed as a reshape; the noise drawn with Threefry under XLA is standard
normal noise."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ganutils import models, phase_conv, speedups, xla

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                reason="the phases are TensorFlow-only")


def _pair(kernel, strides, filters, shape, name="Conv2DTranspose"):
    """Keras's layer `name` and ours, with the same weights, and an input batch."""
    keras.utils.set_random_seed(0)
    ref, ours = (cls(filters, kernel, strides=strides, padding="same", activation="tanh")
                 for cls in (getattr(keras.layers, name), getattr(phase_conv, "Phase" + name)))
    x = tf.random.normal((2, *shape))
    ref(x), ours(x)
    ours.set_weights(ref.get_weights())
    return ref, ours, x


def _op_types(fn, x):
    return {op.type for op in fn.get_concrete_function(x).graph.get_operations()}


def _forward_and_gradients(layer, x, jit, backward_ops=False):
    """The output and the gradients for the input and the layer's weights (kernel, bias),
    and the op types that the compiled forward pass (or with `backward_ops`, forward and
    backward) runs."""
    @tf.function(jit_compile=jit)
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * tf.sin(y + 1.0))
        return [y] + tape.gradient(loss, [x] + layer.trainable_variables)
    forward = tf.function(lambda x: layer(x), jit_compile=jit)  # what the layer runs as
    return [t.numpy() for t in step(x)], _op_types(step if backward_ops else forward, x)


@pytest.mark.parametrize("kernel,strides", [(4, 2), (5, 2), (3, 2), (3, 1), (5, 3), ((4, 5), (2, 3))])
def test_phases_equal_keras_outputs_and_gradients(monkeypatch, kernel, strides):
    monkeypatch.setattr(phase_conv.PhaseConv2DTranspose, "MIN_FILTERS", 0)
    monkeypatch.setattr(phase_conv.PhaseConv2DTranspose, "MIN_PIXELS", 0)
    ref, ours, x = _pair(kernel, strides, 5, (7, 6, 3))
    want, ref_ops = _forward_and_gradients(ref, x, jit=True)
    got, our_ops = _forward_and_gradients(ours, x, jit=True)
    assert "Conv2DBackpropInput" in ref_ops and "Conv2DBackpropInput" not in our_ops  # phases ran
    for w, g in zip(want, got):  # output, d/dinput, d/dkernel, d/dbias
        assert w.shape == g.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5 * np.abs(w).max())


@pytest.mark.parametrize("kernel,strides", [(3, 2), (4, 2), (5, 2), ((5, 4), (2, 3))])
def test_strided_conv_gradient_by_phases_equals_keras(monkeypatch, kernel, strides):
    monkeypatch.setattr(phase_conv.PhaseConv2D, "MIN_CHANNELS", 0)
    monkeypatch.setattr(phase_conv.PhaseConv2D, "MIN_PIXELS", 0)
    ref, ours, x = _pair(kernel, strides, 5, (8, 6, 3), "Conv2D")
    want, ref_ops = _forward_and_gradients(ref, x, jit=True, backward_ops=True)
    got, our_ops = _forward_and_gradients(ours, x, jit=True, backward_ops=True)
    assert "Conv2DBackpropInput" in ref_ops and "Conv2DBackpropInput" not in our_ops  # phases ran
    for w, g in zip(want, got):  # output, d/dinput, d/dkernel, d/dbias
        assert w.shape == g.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5 * np.abs(w).max())


def test_strided_conv_keeps_keras_gradient_where_phases_do_not_apply(monkeypatch):
    """Small layers; no XLA; a stride that does not divide the input (7 -> 4 pixels: the
    phases' transposed convolution would give back 8); stride 1 (no transposed conv)."""
    _, ours, x = _pair(3, 2, 5, (8, 6, 3), "Conv2D")
    assert "Conv2DBackpropInput" in _forward_and_gradients(ours, x, True, backward_ops=True)[1]
    monkeypatch.setattr(phase_conv.PhaseConv2D, "MIN_CHANNELS", 0)
    monkeypatch.setattr(phase_conv.PhaseConv2D, "MIN_PIXELS", 0)
    assert ours.by_phases((2, 8, 6, 3))
    assert "Conv2DBackpropInput" in _forward_and_gradients(ours, x, False, backward_ops=True)[1]
    assert not ours.by_phases((2, 7, 6, 3))
    ref, odd, x = _pair(3, 2, 5, (7, 6, 3), "Conv2D")
    want, _ = _forward_and_gradients(ref, x, jit=True)
    for w, g in zip(want, _forward_and_gradients(odd, x, jit=True)[0]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert not phase_conv.PhaseConv2D(5, 3, padding="same").by_phases((2, 8, 6, 3))


def test_max_pooling_as_reshape_equals_keras_under_xla():
    x = tf.random.normal((2, 8, 6, 3))
    want, ref_ops = _forward_and_gradients(keras.layers.MaxPooling2D(), x, True, backward_ops=True)
    got, our_ops = _forward_and_gradients(xla.TiledMaxPooling2D(), x, True, backward_ops=True)
    assert "MaxPool" in ref_ops and not {t for t in our_ops if t.startswith("MaxPool")}
    for w, g in zip(want, got):  # output, d/dinput
        assert w.shape == g.shape
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
    # Ties: the gradient is shared between equal maxima, its sum per window unchanged.
    zeros = tf.zeros((1, 4, 4, 2))
    (y, grad), _ = _forward_and_gradients(xla.TiledMaxPooling2D(), zeros, True, backward_ops=True)
    np.testing.assert_allclose(grad, np.full((1, 4, 4, 2), np.sin(1.0) / 4), rtol=1e-6)


def test_max_pooling_keeps_keras_op_where_windows_do_not_tile():
    x = tf.random.normal((2, 7, 6, 3))
    for layer, jit in ((xla.TiledMaxPooling2D(), False), (xla.TiledMaxPooling2D(), True),
                       (xla.TiledMaxPooling2D(pool_size=3, strides=2), True)):
        keras_layer = keras.layers.MaxPooling2D(layer.pool_size, layer.strides)
        want, _ = _forward_and_gradients(keras_layer, x, jit, backward_ops=True)
        got, ops = _forward_and_gradients(layer, x, jit, backward_ops=True)
        assert "MaxPool" in ops  # no XLA; 7 rows in windows of 2; overlapping windows
        for w, g in zip(want, got):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)


def test_keras_kernel_without_xla_and_for_small_layers(monkeypatch):
    _, ours, x = _pair(4, 2, 5, (7, 6, 3))
    assert "Conv2DBackpropInput" in _forward_and_gradients(ours, x, jit=True)[1]  # too small
    monkeypatch.setattr(phase_conv.PhaseConv2DTranspose, "MIN_FILTERS", 0)
    monkeypatch.setattr(phase_conv.PhaseConv2DTranspose, "MIN_PIXELS", 0)
    assert ours.by_phases((2, 7, 6, 3))  # large enough now, but
    assert "Conv2DBackpropInput" in _forward_and_gradients(ours, x, jit=False)[1]  # no XLA


@pytest.mark.parametrize("model", ["dcgan32", "maxpool32"])
def test_accelerated_networks_compute_the_same_and_save_as_plain_keras(tmp_path, model, monkeypatch):
    """The XLA speed-ups are swapped in for training only: same weights, same outputs
    (compiled by XLA, where the swapped layers take their own path), and what is saved
    holds Keras's own layers."""
    from ganutils import checkpoint

    for cls, names in ((phase_conv.PhaseConv2DTranspose, ("MIN_FILTERS", "MIN_PIXELS")),
                       (phase_conv.PhaseConv2D, ("MIN_CHANNELS", "MIN_PIXELS"))):
        for name in names:  # phases for every layer, even at this tiny batch
            monkeypatch.setattr(cls, name, 0)
    generator, discriminator = models.get(model).build()
    for net in (generator, discriminator):
        fast = speedups.accelerated(net)
        assert type(fast) is type(net) and fast is not net
        assert any(type(layer).__module__.startswith("ganutils") for layer in fast.layers)
        x = np.random.default_rng(0).normal(size=(2, *net.inputs[0].shape[1:])).astype("float32")
        compiled = tf.function(lambda x: fast(x), jit_compile=True)
        np.testing.assert_allclose(compiled(x), net(x), atol=1e-4)
        assert "Conv2DBackpropInput" not in _op_types(compiled, tf.constant(x))
        back = speedups.plain(fast)
        assert all(type(layer).__module__.startswith("keras") for layer in back.layers)
        np.testing.assert_allclose(back(x), net(x), atol=1e-5)
    checkpoint.save_generator(speedups.accelerated(generator), tmp_path / "g.keras")
    loaded = keras.saving.load_model(tmp_path / "g.keras")
    assert all(type(layer).__module__.startswith("keras") for layer in loaded.layers)


def test_a_nested_accelerated_generator_can_be_copied_for_its_weight_average():
    """The conditional generators hold their body as a nested model; the weight average is
    a clone, which rebuilds that body from its configuration: the swapped-in layers must be
    found by name (they are registered with Keras), or an XLA run with `ema` cannot start."""
    generator = speedups.accelerated(models.get("cgan32").build()[0])
    body = generator.layers[-1]
    assert any(type(layer).__module__.startswith("ganutils") for layer in body.layers)
    copy = keras.models.clone_model(generator)
    assert [type(l) for l in copy.layers[-1].layers] == [type(l) for l in body.layers]


def test_noise_under_xla_is_standard_normal_and_fresh_each_step():
    seed = keras.random.SeedGenerator(3)
    draw = tf.function(lambda: xla.normal((50_000, 4), seed), jit_compile=True)
    first, second = draw().numpy(), draw().numpy()
    for z in (first, second):
        assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
        assert 0.30 < np.mean(np.abs(z) < 0.4) < 0.32  # P(|z| < 0.4) = 0.311 for N(0, 1)
    assert abs(np.corrcoef(first.ravel(), second.ravel())[0, 1]) < 0.02
    keras_seed = keras.random.SeedGenerator(3)  # same seed, Keras's (Philox) draw differs
    philox = tf.function(lambda: keras.random.normal((50_000, 4), seed=keras_seed), jit_compile=True)
    assert not np.allclose(philox().numpy(), first)


def test_noise_without_xla_is_keras_random_normal():
    a, b = keras.random.SeedGenerator(5), keras.random.SeedGenerator(5)
    np.testing.assert_array_equal(xla.normal((3, 4), a), keras.random.normal((3, 4), seed=b))
    assert xla.in_xla() is False
