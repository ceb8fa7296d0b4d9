"""A model's step as the bare matrix products of its layers' shapes: how fast those run,
next to the large square matmul that `bench.py`'s "% peak" divides by.

    python benchmarks/gemm_shapes.py [--models dcgan32 maxpool32 dcgan64] [--seconds 1]

`bench.py`'s "% peak" divides by the rate of one large square matmul (2048^3). A layer's
matrix products are not square. A convolution is the product of its image patches, (batch x
output pixels) by (kernel taps x input channels), with the kernel, (taps x input channels) by
filters; its kernel gradient is the patches' transpose times the output's gradient; its input
gradient is itself a convolution (a transposed one for a strided layer: by phases, each with
taps/s^2 of the kernel) with its own patches. A transposed convolution's forward pass is the
s*s phases. Here each such product is timed under XLA on operands already laid out: what a
lowering to XLA's matrix product would cost with nothing spent building patches.

One training step does, per layer: in the generator one forward pass and both gradients
(no input gradient for its first layer, whose input is the noise); in the discriminator three
forward passes (real, fake, fake again for the generator), two kernel gradients and three
input gradients (one, for the generator's pass, in its first layer). The
last line divides the step's FLOPs by the time of all those products, as images/s and as a
share of the square matmul timed in the same run.

On the 2-core CPU the compiled step ran at least as fast as its products (images/s in
`bench.py` / here, minutes apart: dcgan32 63 / 56, maxpool32 66 / 63, dcgan64 42 / 39):
what keeps the 32x32 models under 85% of the square matmul is their shapes (a 3-channel
layer at each end at 5-34 GFLOP/s, kernel gradients summed over 8,192-32,768 rows at
49-67), not how XLA lowers them.
"""

from __future__ import annotations

import argparse

import keras
import numpy as np
import tensorflow as tf
from bench import matmul_peak, timed
from layer_times import forward_flops

from ganutils import models


def gemm_shapes(layer, x, y):
    """The layer's forward pass and input gradient as matrix products, ((M, K, N), count)
    each, or None for a layer without weights. The kernel gradient is the forward's
    (K, M) x (M, N)."""
    if isinstance(layer, keras.layers.Conv2DTranspose):
        s = layer.strides[0] * layer.strides[1]
        kh, kw, filters, channels = layer.kernel.shape
        pixels = int(np.prod(x.shape[:3]))
        return ((pixels, kh * kw * channels // s, filters), s), ((pixels, kh * kw * filters, channels), 1)
    if isinstance(layer, keras.layers.Conv2D):
        s = layer.strides[0] * layer.strides[1]
        kh, kw, channels, filters = layer.kernel.shape
        return (((int(np.prod(y.shape[:3])), kh * kw * channels, filters), 1),
                ((int(np.prod(x.shape[:3])), kh * kw * filters // s, channels), 1))
    if isinstance(layer, keras.layers.Dense):
        (k, n), m = layer.kernel.shape, x.shape[0]
        return ((m, k, n), 1), ((m, n, k), 1)
    return None


def product_seconds(m, k, n, seconds, transpose_a=False):
    """Seconds of (M,K)x(K,N) compiled by XLA, or with `transpose_a` of (K,M)^T x (M,N)
    (a kernel gradient: the long dimension M is summed over)."""
    a = tf.random.normal((m, k))
    b = tf.random.normal((m, n) if transpose_a else (k, n))
    f = tf.function(lambda a, b: tf.matmul(a, b, transpose_a=transpose_a), jit_compile=True)
    return 1 / timed(lambda: f(a, b).numpy(), 1, seconds)


def model_products(name, seconds, peak):
    spec = models.get(name)
    generator, discriminator = spec.build()
    batch = spec.batch_size
    # passes per step: (forward, input gradient, kernel gradient); the first layers' below
    counts = {"generator": (1, 1, 1), "discriminator": (3, 3, 2)}
    inputs = {"generator": tf.random.normal((batch, spec.latent_dim)),
              "discriminator": tf.random.normal((batch, *spec.image_shape))}
    total_flops = total_seconds = 0.0
    for net, model in (("generator", generator), ("discriminator", discriminator)):
        x, first = inputs[net], True
        for layer in model.layers:
            y = layer(x, training=True)
            shapes = gemm_shapes(layer, x, y)
            if shapes is not None:
                ((m, k, n), count), ((m2, k2, n2), count2) = shapes
                t = {"fwd": product_seconds(m, k, n, seconds), "dx": product_seconds(m2, k2, n2, seconds),
                     "dk": product_seconds(m, k, n, seconds, transpose_a=True)}
                fwd, dx, dk = counts[net]
                if first:  # G: nothing asks for the noise's gradient; D: only G's pass does
                    dx = 0 if net == "generator" else 1
                # each pass does the forward pass's FLOPs (the products' shapes average the
                # taps over phases, so the layer's own count is the exact one)
                total_flops += forward_flops(layer, x, y) * (fwd + dx + dk)
                total_seconds += count * (fwd * t["fwd"] + dk * t["dk"]) + count2 * dx * t["dx"]
                own = {"fwd": 2 * m * k * n, "dx": 2 * m2 * k2 * n2, "dk": 2 * m * k * n}
                rates = " ".join(f"{own[p] / t[p] / 1e9:6.1f}" for p in ("fwd", "dx", "dk"))
                print(f"  {net:13s} {type(layer).__name__[:16]:16s} {m:6d} x{k:5d} x{n:4d} (x{count})"
                      f"  dx {m2:6d} x{k2:5d} x{n2:4d}  GFLOP/s fwd/dx/dk {rates}", flush=True)
                first = False
            x = y
    rate = total_flops / total_seconds
    print(f"{name}: {total_flops / batch / 1e6:.0f} MFLOP/img in its layers' products, which take "
          f"{1e3 * total_seconds:.0f} ms per batch: {batch / total_seconds:.0f} img/s, "
          f"{rate / 1e9:.1f} GFLOP/s, {100 * rate / peak:.0f}% of the square matmul's "
          f"{peak / 1e9:.1f}\n", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["dcgan32", "maxpool32", "dcgan64"],
                   choices=sorted(n for n, s in models.MODELS.items() if not s.conditional))
    p.add_argument("--seconds", type=float, default=1.0, help="timing per product")
    args = p.parse_args()
    peak = 0.0
    for name in args.models:  # the ceiling again before each model, keeping the highest (bench.py)
        peak = max(peak, matmul_peak())
        model_products(name, args.seconds, peak)


if __name__ == "__main__":
    main()
