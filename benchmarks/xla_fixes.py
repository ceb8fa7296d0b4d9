"""What the XLA workarounds (`ganutils.phase_conv`, `ganutils.xla`) are worth, each switched
off and on in one process.

    python benchmarks/xla_fixes.py [--layers] [--models dcgan32 mlp] [--rounds 20]

* `--layers`: every transposed convolution of dcgan32, dcgan64 and dcgan_transpose at its
  notebook batch size, forward and backward under XLA, as Keras's kernel and by phases
  (whichever the layer would pick is marked);
* one row per model: our compiled train step (XLA, as `fit` runs it) with the workarounds
  off, then adding one at a time (transposed convolutions by phases; strided convolutions'
  input gradients by phases; max-pooling as a reshape; Threefry noise), called in turn on
  one batch for `--rounds` rounds; medians, and their ratios to "off". Interleaving step
  by step is what makes the ratios hold on this shared, noisy machine: separate timed runs
  of the same step drifted by up to 30% here.
"""

from __future__ import annotations

import argparse
import statistics
import time

import keras
import numpy as np
import tensorflow as tf
from bench import dataset_for, timed

from ganutils import models, phase_conv, runs, training, xla

CONVT, CONV, POOL = phase_conv.Conv2DTranspose, phase_conv.Conv2D, xla.MaxPooling2D


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
        for layer in spec.build()[0].layers:
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
            gan = runs.build_gan(runs.TrainConfig(model=name, dataset=dataset))
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


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layers", action="store_true", help="also time each transposed convolution")
    p.add_argument("--models", nargs="+", default=["mlp", "dcgan_upsample", "dcgan32", "dcgan64"])
    p.add_argument("--rounds", type=int, default=20)
    args = p.parse_args()
    if args.layers:
        layers_table()
    step_table(args.models, args.rounds)


if __name__ == "__main__":
    main()
