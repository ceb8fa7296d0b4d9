"""FastGAN's training speed: our `fit`/`train_step` (`ganutils.fastgan.FastGAN`) against a
plain `tf.function` loop of the same networks doing the same work.

    python benchmarks/fastgan_step.py [--seconds 20] [--rounds 3] [--batch 32]

Both sides, per step: one batch of noise, the fakes generated once; the discriminator
updated on DiffAugmented real images (with the reconstruction of their whole and of a random
quarter by its two decoders) and fakes, hinge loss; then the updated discriminator scores
the same fakes for the generator's hinge loss; then the weight average moves. So the ratio
is the cost of `fit`, its callbacks-free loop and our layering alone. Timed in alternating
rounds (ours, plain, ours, ...) on synthetic 64x64 images, the best round of each kept: the
machine is shared and noisy. XLA off, float32, as the Pokemon runs train on a CPU without
bfloat16 units (`--precision mixed_bfloat16` for ours where it has them: the plain loop
stays float32, so read that ratio as a speed-up, not overhead).
"""

from __future__ import annotations

import argparse
import time

from ganutils import callbacks, data, fastgan, models, runs  # first: quiets TensorFlow
from ganutils.augment import diff_augment

import keras
import numpy as np
import tensorflow as tf

from bench import Clock, synthetic, timed

POLICY = ("color", "translation")


def config(batch, precision="float32"):
    return runs.TrainConfig(dataset="pokemon", model="fastgan64", loss="hinge", augment=",".join(POLICY),
                            batch_size=batch, jit_compile=False, precision=precision)


def ours(images, batch, seconds, precision="float32"):
    """Images/s of `FastGAN.fit` as the runs train, timed per step inside one `fit`."""
    gan = runs.build_gan(config(batch, precision))
    ds = data.to_dataset(images, None, batch, epochs=None)
    clock = Clock(seconds)
    gan.fit(ds, epochs=1, steps_per_epoch=100_000, verbose=0, callbacks=[clock], shuffle=False)
    return batch / clock.seconds_per_step


def plain_step(batch, ema=0.999):
    """The same step written as one `tf.function`, with nothing of `GAN` in it."""
    spec = models.get("fastgan64")
    keras.utils.set_random_seed(0)
    g, d = spec.build()
    whole, part = spec.decoders(d)
    avg = keras.models.clone_model(g)
    avg.set_weights(g.get_weights())
    d_vars = [*d.trainable_variables, *whole.trainable_variables, *part.trainable_variables]
    g_opt, d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)
    aug_seed, q_seed = keras.random.SeedGenerator(1), keras.random.SeedGenerator(2)

    @tf.function
    def step(real):
        noise = tf.random.normal([batch, spec.latent_dim])
        with tf.GradientTape() as g_tape:
            fake = g(noise, training=True)
        with tf.GradientTape() as d_tape:
            seen = diff_augment(real, aug_seed, POLICY)
            real_out, f8, f16 = d(seen, training=True)
            which = keras.random.randint((batch,), 0, 4, seed=q_seed)
            rec = (tf.reduce_mean(tf.square(whole(f8, training=True)
                                            - tf.nn.avg_pool2d(seen, 2, 2, "VALID")))
                   + tf.reduce_mean(tf.square(part(fastgan.pick(fastgan.quarters(f16), which), training=True)
                                              - fastgan.pick(fastgan.quarters(seen), which))))
            fake_out = d(diff_augment(fake, aug_seed, POLICY), training=True)[0]
            d_loss = tf.reduce_mean(tf.nn.relu(1 - real_out)) + tf.reduce_mean(tf.nn.relu(1 + fake_out))
            total = d_loss + rec
        d_opt.apply_gradients(zip(d_tape.gradient(total, d_vars), d_vars))
        with g_tape:
            g_loss = -tf.reduce_mean(d(diff_augment(fake, aug_seed, POLICY), training=True)[0])
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
        t = tf.cast(g_opt.iterations, tf.float32)
        decay = tf.minimum(ema, (1.0 + t) / (10.0 + t))
        for a, w in zip(avg.weights, g.weights):
            a.assign(decay * a + (1.0 - decay) * w)
        return d_loss, g_loss, rec

    return step


def plain(images, batch, seconds):
    step = plain_step(batch)
    it = iter(data.to_dataset(images, None, batch, epochs=None))
    return timed(lambda: [x.numpy() for x in step(next(it))], batch, seconds)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0, help="timed seconds per round and loop")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch", type=int, default=models.get("fastgan64").batch_size)
    p.add_argument("--precision", default="float32")
    a = p.parse_args()
    print(callbacks.device_description())
    images, _ = synthetic(models.get("fastgan64"), a.batch * 8)
    rates = {"ours": [], "plain": []}
    for r in range(a.rounds):
        rates["ours"].append(ours(images, a.batch, a.seconds, a.precision))
        rates["plain"].append(plain(images, a.batch, a.seconds))
        print(f"round {r + 1}: ours {rates['ours'][-1]:.1f} img/s, plain {rates['plain'][-1]:.1f} img/s",
              flush=True)
    o, pl = max(rates["ours"]), max(rates["plain"])
    print(f"\nbest of {a.rounds}: ours {o:.1f} img/s, plain {pl:.1f} img/s, ours/plain {o / pl:.3f} "
          f"(batch {a.batch}, {a.precision})")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"({(time.perf_counter() - t0) / 60:.1f} minutes)")
