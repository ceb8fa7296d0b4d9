"""Where a model's step spends its time: every layer of its generator and discriminator,
forward and then forward and backward (input and weight gradients), with XLA on and off.

    python benchmarks/layer_times.py dcgan32 [--only discriminator] [--seconds 1.5]

A layer much slower under XLA than without it is a lowering to step around (how
`ganutils.phase_conv` and `ganutils.xla.MaxPooling2D` were found). GFLOP/s for convolutions
and dense layers: 3x the forward FLOPs over the forward-and-backward time. Layers are timed
alone, so the sum overstates a fused step; check a change in the whole step with
`xla_fixes.py`.
"""

from __future__ import annotations

import argparse

import keras
import numpy as np
import tensorflow as tf
from bench import matmul_peak, timed

from ganutils import models


def forward_flops(layer, x, y) -> float:
    """Multiply-adds x 2 of one forward pass over the batch (0 for layers without weights)."""
    if isinstance(layer, keras.layers.Conv2DTranspose):
        return 2 * np.prod(x.shape[:3]) * np.prod(layer.kernel.shape)
    if isinstance(layer, keras.layers.Conv2D):
        return 2 * np.prod(y.shape[:3]) * np.prod(layer.kernel.shape)
    if isinstance(layer, keras.layers.Dense):
        return 2 * x.shape[0] * np.prod(layer.kernel.shape)
    return 0.0


def milliseconds(fn, x, seconds):
    return 1e3 / timed(lambda: tf.nest.flatten(fn(x))[0].numpy(), 1, seconds)


def layer_row(net, layer, x, y, seconds) -> str:
    def forward(x):
        return layer(x, training=True)

    def backward(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True) ** 2)
        return tape.gradient(loss, [x] + layer.trainable_variables)

    ms = {(f.__name__, jit): milliseconds(tf.function(f, jit_compile=jit), x, seconds)
          for f in (forward, backward) for jit in (True, False)}
    flops = forward_flops(layer, x, y)
    rate = "".join(f" {3 * flops / ms['backward', jit] / 1e6:6.0f}" if flops else f" {'':6s}"
                   for jit in (True, False))
    shape = "x".join(map(str, x.shape[1:])) + " -> " + "x".join(map(str, y.shape[1:]))
    return (f"{net:13s} {type(layer).__name__[:18]:18s} {shape:24s}"
            f" {ms['forward', True]:7.1f} {ms['forward', False]:7.1f}"
            f" {ms['backward', True]:8.1f} {ms['backward', False]:8.1f}{rate}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", choices=sorted(models.MODELS))
    p.add_argument("--only", choices=["generator", "discriminator"])
    p.add_argument("--seconds", type=float, default=1.5, help="timing per layer and variant")
    args = p.parse_args()
    spec = models.get(args.model)
    if spec.conditional:
        p.error("conditional models take two inputs; time an unconditional one")
    generator, discriminator = spec.build()
    batch = spec.batch_size
    print(f"float32 matmul peak: {matmul_peak() / 1e9:.1f} GFLOP/s; {args.model}, batch {batch}")
    print(f"{'network':13s} {'layer':18s} {'shape':24s} {'fwd XLA':>7s} {'no XLA':>7s}"
          f" {'f+b XLA':>8s} {'no XLA':>8s} {'GF/s XLA':>6s} {'no XLA':>6s}  (ms per batch)")
    nets = {"generator": (generator, tf.random.normal((batch, spec.latent_dim))),
            "discriminator": (discriminator, tf.random.normal((batch, *spec.image_shape)))}
    for net, (model, x) in nets.items():
        if args.only not in (None, net):
            continue
        for layer in model.layers:
            y = layer(x, training=True)
            print(layer_row(net, layer, x, y, args.seconds), flush=True)
            x = y


if __name__ == "__main__":
    main()
