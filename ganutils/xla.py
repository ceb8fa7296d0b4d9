"""Things XLA on a CPU does slowly under TensorFlow, and how we step around them.

Some of XLA's CPU lowerings are far slower than TensorFlow's own kernels: transposed
convolutions (see `phase_conv`), TensorFlow's default random-number algorithm, Philox,
which XLA computes element by element (Threefry is fast there; TensorFlow's non-XLA
kernels have Philox only, and are fast), and max-pooling's gradient. Each workaround below
is used only while XLA compiles a TensorFlow step; the layers give the same results, the
noise is as random but other numbers.
"""

from __future__ import annotations

import keras
from keras import layers, ops


def in_xla() -> bool:
    """Whether TensorFlow is tracing a function for XLA (`jit_compile=True`). TensorFlow has
    no public call for this; its own code (tf.function, pfor) asks this question so."""
    if keras.backend.backend() != "tensorflow":
        return False
    try:
        import tensorflow as tf
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # pragma: no cover - moved in a later TensorFlow: Keras's defaults
        return False
    return (not tf.executing_eagerly()
            and control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()))


def normal(shape, seed: keras.random.SeedGenerator):
    """`keras.random.normal(shape, seed=seed)`, drawn with Threefry while XLA compiles a
    TensorFlow step: how a GAN step draws its noise."""
    if not in_xla():
        return keras.random.normal(shape, seed=seed)
    import tensorflow as tf

    state = seed.next()  # what keras.random.normal would use, cast as Keras casts it
    state = tf.cast(tf.math.floormod(state, tf.int32.max - 1), tf.int32)
    return tf.random.stateless_normal(shape, seed=state, alg="threefry")


@keras.saving.register_keras_serializable(package="ganutils")
class TiledMaxPooling2D(layers.MaxPooling2D):
    """Keras's `MaxPooling2D` (same arguments and outputs); under XLA, windows that tile the
    image (stride = pool size, sizes divisible) are pooled as a reshape and a maximum, whose
    gradient is element-wise: XLA computes the pooling op's own gradient (a "select and
    scatter") slowly on a CPU. The one difference: where a window holds several equal
    maxima the gradient is split between them instead of going to the first, equally a
    gradient of the maximum, and an exact tie is rare after a convolution."""

    def tiles(self, input_shape) -> bool:
        _, height, width, _ = input_shape
        return (self.data_format == "channels_last" and tuple(self.strides) == tuple(self.pool_size)
                and None not in (height, width)
                and height % self.pool_size[0] == 0 and width % self.pool_size[1] == 0)

    def call(self, inputs):
        if not (in_xla() and self.tiles(tuple(inputs.shape))):
            return super().call(inputs)
        _, height, width, channels = inputs.shape
        ph, pw = self.pool_size
        windows = ops.reshape(inputs, (-1, height // ph, ph, width // pw, pw, channels))
        return ops.max(windows, axis=(2, 4))

