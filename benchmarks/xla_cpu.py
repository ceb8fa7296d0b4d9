"""Where XLA on a CPU is slow for our models, and what stepping around it is worth: the
investigation behind `ganutils.phase_conv` and `ganutils.xla` (used only where a run compiles
with XLA on TensorFlow; see `ganutils.jit` for when that is).

    python benchmarks/xla_cpu.py fixes [--layers] [--models dcgan32 mlp] [--rounds 20]
    python benchmarks/xla_cpu.py layers dcgan32 [--only discriminator] [--seconds 1.5]
    python benchmarks/xla_cpu.py products [--models dcgan32 maxpool32 dcgan64] [--seconds 1]

* `fixes`: our compiled step (XLA) with the workarounds off, then adding one at a time
  (transposed convolutions by phases; strided convolutions' input gradients by phases;
  max-pooling as a reshape; Threefry noise), called in turn on one batch for `--rounds`
  rounds: medians and their ratios to "off" (interleaving is what makes ratios hold on a
  shared machine). `--layers` first times every transposed convolution alone, Keras's
  kernel against phases.
* `layers`: every layer of a model alone, forward and forward-and-backward, XLA on and off:
  a layer much slower under XLA than without it is a lowering to step around. GFLOP/s: 3x
  the forward FLOPs over the forward-and-backward time.
* `products`: each layer written as the bare matrix products of its shapes (patches x kernel,
  the input gradient's own patches, patches' transpose x output gradient; phases for
  transposed convolutions), counted as one step needs them (G: one forward, both gradients;
  D: three forwards, three input gradients, two kernel gradients) and timed under XLA on
  operands already laid out: how fast the step could run if its convolutions were exactly
  those products, next to the square matmul `bench.py` divides by.

Results are in `benchmarks/README.md`.
"""

from __future__ import annotations

from ganutils import models, phase_conv, runs, speedups, training, xla  # first: quiets TensorFlow

import argparse
import statistics
import time

import keras
import numpy as np
import tensorflow as tf
from bench import dataset_for, matmul_peak, timed

CONVT, CONV, POOL = phase_conv.PhaseConv2DTranspose, phase_conv.PhaseConv2D, xla.TiledMaxPooling2D


# ------------------------------------------------------------------ fixes: the whole step
def keras_kernel(self, input_shape):
    return False


def keras_noise(shape, seed):
    return keras.random.normal(shape, seed=seed)


def milliseconds(fn, *args, seconds=1.5):
    """Milliseconds per call of `fn(*args)`, waiting for its result (`bench.timed`)."""
    return 1e3 / timed(lambda: tf.nest.flatten(fn(*args))[0].numpy(), 1, seconds)


def layers_table():
    print(f"{'model':16s} {'layer':28s} {'Keras ms':>9s} {'phases ms':>9s}  picks")
    for name in ("dcgan32", "dcgan64", "dcgan_transpose"):
        spec = models.get(name)
        x = tf.random.normal((spec.batch_size, spec.latent_dim))
        for layer in speedups.accelerated(spec.build()[0]).layers:
            y = layer(x)
            if isinstance(layer, CONVT):
                def step(x, layer=layer):
                    with tf.GradientTape() as tape:
                        tape.watch(x)
                        loss = tf.reduce_sum(layer(x) ** 2)
                    return tape.gradient(loss, [x] + layer.trainable_variables)
                times = {}
                for label, pick in (("keras", keras_kernel), ("phases", lambda s, shape: True)):
                    CONVT.by_phases = pick
                    times[label] = milliseconds(tf.function(step, jit_compile=True), x)
                CONVT.by_phases = BY_PHASES
                shape = "x".join(map(str, x.shape[1:])) + " -> " + "x".join(map(str, y.shape[1:]))
                picks = "phases" if BY_PHASES(layer, tuple(x.shape)) else "Keras"
                print(f"{name:16s} {shape:28s} {times['keras']:9.1f} {times['phases']:9.1f}  {picks}",
                      flush=True)
            x = y


def step_table(names, rounds):
    """Each variant adds one workaround to the one before: Keras's kernels and noise ("off"),
    transposed convolutions by phases, strided convolutions' input gradients by phases,
    max-pooling as a reshape, Threefry noise ("all")."""
    variants = {"off": (keras_kernel, keras_kernel, keras_kernel, keras_noise),
                "convT": (BY_PHASES, keras_kernel, keras_kernel, keras_noise),
                "+conv dx": (BY_PHASES, CONV_BY_PHASES, keras_kernel, keras_noise),
                "+pool": (BY_PHASES, CONV_BY_PHASES, TILES, keras_noise),
                "all": (BY_PHASES, CONV_BY_PHASES, TILES, NORMAL)}
    print(f"\n{'model':16s} " + " ".join(f"{label:>8s}" for label in variants)
          + " " + " ".join(f"{label + '/off':>12s}" for label in list(variants)[1:]) + "   (ms per step)")
    for name in names:
        spec = models.get(name)
        dataset = dataset_for(spec)
        images = np.random.default_rng(0).uniform(-1, 1, (spec.batch_size, *spec.image_shape))
        batch = tf.constant(images, tf.float32)
        if spec.conditional:
            batch = (batch, tf.constant(np.arange(spec.batch_size) % 10))
        steps = {}
        for label, (pick, pick_conv, tiles, noise) in variants.items():  # traced with its choices
            CONVT.by_phases, CONV.by_phases, POOL.tiles, xla.normal = pick, pick_conv, tiles, noise
            gan = runs.build_gan(runs.TrainConfig(model=name, dataset=dataset, jit_compile=True))
            gan.build_optimizers()
            steps[label] = tf.function(gan.train_step, jit_compile=True)
            steps[label](batch), steps[label](batch)
        CONVT.by_phases, CONV.by_phases, POOL.tiles, xla.normal = BY_PHASES, CONV_BY_PHASES, TILES, NORMAL
        times = {label: [] for label in variants}
        for _ in range(rounds):
            for label, step in steps.items():
                t0 = time.perf_counter()
                step(batch)["d_loss"].numpy()
                times[label].append(time.perf_counter() - t0)
        ms = {label: 1e3 * statistics.median(t) for label, t in times.items()}
        print(f"{name:16s} " + " ".join(f"{ms[label]:8.1f}" for label in variants) + " "
              + " ".join(f"{ms['off'] / ms[label]:12.2f}" for label in list(variants)[1:]), flush=True)


BY_PHASES, CONV_BY_PHASES, TILES, NORMAL = CONVT.by_phases, CONV.by_phases, POOL.tiles, xla.normal
assert training.xla is xla  # the GAN draws its noise through this module



# ------------------------------------------------------------- layers: one at a time
def forward_flops(layer, x, y) -> float:
    """Multiply-adds x 2 of one forward pass over the batch (0 for layers without weights)."""
    if isinstance(layer, keras.layers.Conv2DTranspose):
        return 2 * np.prod(x.shape[:3]) * np.prod(layer.kernel.shape)
    if isinstance(layer, keras.layers.Conv2D):
        return 2 * np.prod(y.shape[:3]) * np.prod(layer.kernel.shape)
    if isinstance(layer, keras.layers.Dense):
        return 2 * x.shape[0] * np.prod(layer.kernel.shape)
    return 0.0


def layer_row(net, layer, x, y, seconds) -> str:
    def forward(x):
        return layer(x, training=True)

    def backward(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True) ** 2)
        return tape.gradient(loss, [x] + layer.trainable_variables)

    ms = {(f.__name__, jit): milliseconds(tf.function(f, jit_compile=jit), x, seconds=seconds)
          for f in (forward, backward) for jit in (True, False)}
    flops = forward_flops(layer, x, y)
    rate = "".join(f" {3 * flops / ms['backward', jit] / 1e6:6.0f}" if flops else f" {'':6s}"
                   for jit in (True, False))
    shape = "x".join(map(str, x.shape[1:])) + " -> " + "x".join(map(str, y.shape[1:]))
    return (f"{net:13s} {type(layer).__name__[:18]:18s} {shape:24s}"
            f" {ms['forward', True]:7.1f} {ms['forward', False]:7.1f}"
            f" {ms['backward', True]:8.1f} {ms['backward', False]:8.1f}{rate}")


def layers_command(args, p):
    spec = models.get(args.model)
    if spec.conditional:
        p.error("conditional models take two inputs; time an unconditional one")
    generator, discriminator = (speedups.accelerated(net) for net in spec.build())
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



# ------------------------------------------------------- products: the shapes' ceiling
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


def products_command(args, p):
    peak = 0.0
    for name in args.models:  # the ceiling again before each model, keeping the highest (bench.py)
        peak = max(peak, matmul_peak())
        model_products(name, args.seconds, peak)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fixes", help="the compiled step with each workaround off and on")
    f.add_argument("--layers", action="store_true", help="also time each transposed convolution")
    f.add_argument("--models", nargs="+", default=["mlp", "dcgan_upsample", "dcgan32", "dcgan64"])
    f.add_argument("--rounds", type=int, default=20)
    f.set_defaults(func=lambda a, p: (layers_table() if a.layers else None,
                                      step_table(a.models, a.rounds)))
    lay = sub.add_parser("layers", help="every layer of one model alone, XLA on and off")
    lay.add_argument("model", choices=sorted(models.MODELS))
    lay.add_argument("--only", choices=["generator", "discriminator"])
    lay.add_argument("--seconds", type=float, default=1.5, help="timing per layer and variant")
    lay.set_defaults(func=layers_command)
    pr = sub.add_parser("products", help="each layer as the bare matrix products of its shapes")
    pr.add_argument("--models", nargs="+", default=["dcgan32", "maxpool32", "dcgan64"],
                    choices=sorted(n for n, s in models.MODELS.items() if not s.conditional))
    pr.add_argument("--seconds", type=float, default=1.0, help="timing per product")
    pr.set_defaults(func=products_command)
    args = p.parse_args()
    args.func(args, p)


if __name__ == "__main__":
    main()
