"""What notebook 01's exercises 1, 2 and 5 should show: its hand-written step on all of
MNIST for one epoch, as written and with each exercise's change; the mean losses of the
last 100 steps, and a grid of each generator (written beside this script's --out).

    python reports/experiments/exercises_01.py --out /tmp/ex01
"""

import argparse
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ganutils import data, datasets, models, plots

bce = keras.losses.BinaryCrossentropy(from_logits=True)


def make_step(saturating=False, d_steps=1):
    @tf.function
    def step(real, noises, G, D, g_opt, d_opt):
        for noise in noises[:d_steps]:  # exercise 2: more than one D step on fresh fakes
            fake = G(noise, training=True)
            with tf.GradientTape() as d_tape:
                r, f = D(real, training=True), D(fake, training=True)
                d_loss = bce(tf.ones_like(r), r) + bce(tf.zeros_like(f), f)
            d_opt.apply_gradients(zip(d_tape.gradient(d_loss, D.trainable_variables), D.trainable_variables))
        with tf.GradientTape() as g_tape:
            f = D(G(noises[-1], training=True), training=True)
            g_loss = -bce(tf.zeros_like(f), f) if saturating else bce(tf.ones_like(f), f)
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, G.trainable_variables), G.trainable_variables))
        return d_loss, g_loss
    return step


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    real = datasets.to_tanh_range(data.load_arrays("mnist", "train")[0])
    for name, kw, beta in (("as written", {}, 0.5), ("1 saturating", {"saturating": True}, 0.5),
                           ("2 two D steps", {"d_steps": 2}, 0.5), ("5 beta_1 0.9", {}, 0.9)):
        keras.utils.set_random_seed(0)
        G, D = models.get("mlp").build(100)
        step = make_step(**kw)
        opts = keras.optimizers.Adam(2e-4, beta_1=beta), keras.optimizers.Adam(2e-4, beta_1=beta)
        batches = tf.data.Dataset.from_tensor_slices(real).shuffle(len(real), seed=0).batch(64, drop_remainder=True)
        losses = [[float(x) for x in step(b, [tf.random.normal((64, 100)) for _ in range(2)], G, D, *opts[::-1])]
                  for b in batches]
        last = np.array(losses[-100:])
        print(f"{name}: last 100 steps D {last[:, 0].mean():.2f} (sd {last[:, 0].std():.2f}), "
              f"G {last[:, 1].mean():.2f} (sd {last[:, 1].std():.2f})", flush=True)
        plots.show_grid(G(tf.random.normal((32, 100)), training=False), cols=16,
                        path=out / f"{name.replace(' ', '_')}.png", title=name)


if __name__ == "__main__":
    main()
