"""`Conv2DTranspose` computed as stride-1 convolutions, one per output phase.

A transposed convolution with stride s writes every output pixel from a few kernel taps
only: the pixels at rows s*u + a (and columns s*v + c) use the taps a + pad, a + pad - s,
... of the kernel and no others. So the layer equals s*s ordinary stride-1 convolutions
over the input, each with its slice of the kernel, whose outputs interleave into the
upsampled image (the "sub-pixel convolution" view, Shi et al. 2016). Same weights, same
outputs, same FLOPs: nothing is multiplied by an inserted zero.

Why: XLA on a CPU (our default, `jit_compile=None`) computes Keras's transposed
convolution, and its gradients, far below the machine's matmul rate. Measured on the 2-core
CPU, forward and backward, XLA, milliseconds per batch (Keras's layer / by phases):

    dcgan32, batch 128:  4x4x256 -> 8x8x128      60 /  86   (keep Keras's)
                         8x8x128 -> 16x16x128   211 / 151
                         16x16x128 -> 32x32x128 841 / 532   (52-57 -> 87-91 GFLOP/s)
    dcgan64, batch 64:   4x4x512 -> 8x8x256     111 / 140   (keep)
                         8x8x256 -> 16x16x128   102 / 130   (keep)
                         16x16x128 -> 32x32x64  174 / 148
                         32x32x64 -> 64x64x3     27 / 151   (keep)
    dcgan_transpose, 128: 7x7x64 -> 14x14x32     21 /  21   (keep)
                         14x14x32 -> 28x28x1      6 /  21   (keep)

Phases pay off when each of their convolutions is a large matrix product: at least 64
filters and at least 8,192 input pixels per batch (batch x height x width); that rule
picks exactly the faster column above. Without XLA, TensorFlow's own kernel is the faster
one (dcgan32's largest layer: 73 GFLOP/s against 63 by phases), so phases are used only
while XLA compiles the step; elsewhere, and on other backends, the layer is Keras's.
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


@keras.saving.register_keras_serializable(package="ganutils")
class Conv2DTranspose(layers.Conv2DTranspose):
    """Keras's `Conv2DTranspose` (same arguments, weights and outputs), computed by output
    phases where that measured faster (see the module's docstring): under XLA on
    TensorFlow, for 'same' padding without dilation or output padding, channels last, a
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
        height, width = inputs.shape[1], inputs.shape[2]
        rows = phase_taps(self.kernel_size[0], self.strides[0])
        cols = phase_taps(self.kernel_size[1], self.strides[1])
        # Pad once so that every phase's window lies inside the input.
        top = max(0, *(-off for off, _ in rows))
        bottom = max(0, *(off + len(t) - 1 for off, t in rows))
        left = max(0, *(-off for off, _ in cols))
        right = max(0, *(off + len(t) - 1 for off, t in cols))
        x = ops.pad(inputs, ((0, 0), (top, bottom), (left, right), (0, 0)))
        kernel = ops.transpose(self.kernel, (0, 1, 3, 2))  # (kh, kw, in, out) for ops.conv
        out_rows = []
        for row_off, row_taps in rows:
            out_cols = []
            for col_off, col_taps in cols:
                k = ops.take(ops.take(kernel, row_taps, axis=0), col_taps, axis=1)
                window = x[:, top + row_off: top + row_off + height + len(row_taps) - 1,
                           left + col_off: left + col_off + width + len(col_taps) - 1]
                out_cols.append(ops.conv(window, k, padding="valid"))
            out_rows.append(ops.stack(out_cols, axis=3))  # (batch, h, w, s_w, filters)
        outputs = ops.reshape(ops.stack(out_rows, axis=2),  # (batch, h, s_h, w, s_w, filters)
                              (-1, height * self.strides[0], width * self.strides[1], self.filters))
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation is not None else outputs
