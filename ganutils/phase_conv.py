"""`Conv2DTranspose` computed as stride-1 convolutions, one per output phase; and `Conv2D`
whose input gradient (a transposed convolution) is computed the same way.

A transposed convolution with stride s writes every output pixel from a few kernel taps
only: the pixels at rows s*u + a (and columns s*v + c) use the taps a + pad, a + pad - s,
... of the kernel and no others. So the layer equals s*s ordinary stride-1 convolutions
over the input, each with its slice of the kernel, whose outputs interleave into the
upsampled image (the "sub-pixel convolution" view, Shi et al. 2016). Same weights, same
outputs, same FLOPs: nothing is multiplied by an inserted zero.

Why: XLA's CPU backend computes Keras's transposed convolution, and its gradients, far below
the machine's matrix-product rate, while stride-1 convolutions run near it. Phases pay off
when each of their convolutions is a large matrix product (at least 64 filters and 8,192
input pixels per batch); smaller layers keep Keras's kernel. A strided `Conv2D`'s input
gradient is such a transposed convolution too, computed the same way. Without XLA,
TensorFlow's own kernels are the faster ones, so these layers exist only in a network that
`speedups.accelerated` prepared for an XLA run; measurements are in benchmarks/README.md.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from . import xla


def phase_taps(kernel_size: int, stride: int) -> list[tuple[int, list[int]]]:
    """For each output phase a (rows s*u + a): the input offset of its first tap relative
    to u, and the kernel taps in the order of increasing input index.

    'same' padding pads the forward convolution by (k - s) // 2 in front, so output row
    s*u + a takes input row i through tap t = s*(u - i) + a + pad."""
    pad = max(kernel_size - stride, 0) // 2
    phases = []
    for a in range(stride):
        first, shift = (a + pad) % stride, (a + pad) // stride
        taps = list(range(first, kernel_size, stride))[::-1]
        phases.append((shift - len(taps) + 1, taps))
    return phases


def transpose_by_phases(inputs, kernel, strides):
    """The 'same' transposed convolution of `inputs` (batch, h, w, in) with `kernel`
    (kh, kw, out, in), as Keras's `Conv2DTranspose` lays it out, to (batch, s*h, s*w, out):
    one stride-1 convolution per output phase, interleaved."""
    height, width = inputs.shape[1], inputs.shape[2]
    rows = phase_taps(kernel.shape[0], strides[0])
    cols = phase_taps(kernel.shape[1], strides[1])
    # Pad once so that every phase's window lies inside the input.
    top = max(0, *(-off for off, _ in rows))
    bottom = max(0, *(off + len(t) - 1 for off, t in rows))
    left = max(0, *(-off for off, _ in cols))
    right = max(0, *(off + len(t) - 1 for off, t in cols))
    x = ops.pad(inputs, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kernel = ops.transpose(kernel, (0, 1, 3, 2))  # (kh, kw, in, out) for ops.conv
    out_rows = []
    for row_off, row_taps in rows:
        out_cols = []
        for col_off, col_taps in cols:
            k = ops.take(ops.take(kernel, row_taps, axis=0), col_taps, axis=1)
            window = x[:, top + row_off: top + row_off + height + len(row_taps) - 1,
                       left + col_off: left + col_off + width + len(col_taps) - 1]
            out_cols.append(ops.conv(window, k, padding="valid"))
        out_rows.append(ops.stack(out_cols, axis=3))  # (batch, h, w, s_w, out)
    return ops.reshape(ops.stack(out_rows, axis=2),  # (batch, h, s_h, w, s_w, out)
                       (-1, height * strides[0], width * strides[1], kernel.shape[-1]))


@keras.saving.register_keras_serializable(package="ganutils")
class PhaseConv2DTranspose(layers.Conv2DTranspose):
    """Keras's `Conv2DTranspose` (same arguments, weights and outputs), computed by output
    phases where that is faster (see the module's docstring): under XLA on TensorFlow, for 'same' padding without dilation or output padding, channels last, a
    kernel at least as large as the stride, and a large enough layer."""

    MIN_FILTERS, MIN_PIXELS = 64, 8192

    def by_phases(self, input_shape) -> bool:
        """Whether this layer, on inputs of `input_shape`, is computed by phases once XLA
        compiles it (`call` also asks `xla.in_xla()`, false on other backends)."""
        batch, height, width = input_shape[:3]
        return (self.padding == "same" and self.output_padding is None
                and self.data_format == "channels_last"
                and all(d == 1 for d in self.dilation_rate)
                and all(k >= s for k, s in zip(self.kernel_size, self.strides))
                and None not in (batch, height, width)
                and self.filters >= self.MIN_FILTERS and batch * height * width >= self.MIN_PIXELS)

    def call(self, inputs):
        if not (xla.in_xla() and self.by_phases(tuple(inputs.shape))):
            return super().call(inputs)
        outputs = transpose_by_phases(inputs, self.kernel, self.strides)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation is not None else outputs


@keras.saving.register_keras_serializable(package="ganutils")
class PhaseConv2D(layers.Conv2D):
    """Keras's `Conv2D` (same arguments, weights and outputs) whose input gradient, for a
    strided 'same' convolution under XLA on TensorFlow, is computed by phases
    (`convolution_with_phase_gradient`).

    That gradient is a transposed convolution, as slow under XLA on a CPU as the layer
    above. A discriminator needs it for every strided layer but the first, on real and on
    fake images, and once more to pass the generator its gradient. Used where it passes
    `PhaseConv2DTranspose`'s size rule (at least 64 input channels, 8,192 output pixels per
    batch) and the stride divides the input's height and width."""

    MIN_CHANNELS, MIN_PIXELS = PhaseConv2DTranspose.MIN_FILTERS, PhaseConv2DTranspose.MIN_PIXELS

    def by_phases(self, input_shape) -> bool:
        """Whether the input gradient is computed by phases once XLA compiles the layer
        (`convolution_op` also asks `xla.in_xla()`, false on other backends)."""
        batch, height, width, channels = input_shape
        sh, sw = self.strides
        return (self.padding == "same" and self.data_format == "channels_last"
                and self.groups == 1 and all(d == 1 for d in self.dilation_rate)
                and (sh > 1 or sw > 1)
                and all(k >= s for k, s in zip(self.kernel_size, self.strides))
                and None not in (batch, height, width) and height % sh == 0 and width % sw == 0
                and channels >= self.MIN_CHANNELS
                and batch * (height // sh) * (width // sw) >= self.MIN_PIXELS)

    def convolution_op(self, inputs, kernel):
        if not (xla.in_xla() and self.by_phases(tuple(inputs.shape))):
            return super().convolution_op(inputs, kernel)
        return convolution_with_phase_gradient(inputs, ops.cast(kernel, inputs.dtype),
                                               tuple(self.strides))


def convolution_with_phase_gradient(inputs, kernel, strides):
    """`ops.conv(inputs, kernel, strides, padding="same")` (TensorFlow), whose input gradient
    is `transpose_by_phases`; the kernel's gradient is TensorFlow's."""
    import tensorflow as tf

    @tf.custom_gradient
    def conv(x, k):
        def grad(dy):
            dk = tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=tf.shape(k), out_backprop=dy,
                                                 strides=(1, *strides, 1), padding="SAME")
            return transpose_by_phases(dy, k, strides), dk
        return ops.conv(x, k, strides, padding="same"), grad

    return conv(inputs, kernel)

