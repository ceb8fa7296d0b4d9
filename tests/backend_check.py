"""Two training steps of a tiny GAN on the Keras backend named by KERAS_BACKEND, for each case
in GANUTILS_CHECK_CASES (a JSON list of [epochs, r1, update]); prints each case's final
weights and logged losses as one JSON list (one process per backend: starting Python with
TensorFlow or JAX takes longer than the steps). `test_backends.py` runs it under TensorFlow and JAX
and compares: the JAX step (what runs on a GPU box without TensorFlow) must do exactly what
the TensorFlow step does. Everything random is fixed by hand, since the backends' random
number generators differ: weights from NumPy, noise from a fixed ramp, no dropout."""

import json
import os
import sys

import keras
import numpy as np
from keras import layers, ops

from ganutils.training import GAN


class FixedNoiseGAN(GAN):
    def draw_noise(self, batch):
        return ops.reshape(ops.linspace(-1.0, 1.0, batch * self.latent_dim), (batch, self.latent_dim))


def case(epochs, r1, update):
    keras.backend.clear_session()  # the same weight names in every case
    g = keras.Sequential([keras.Input((4,)), layers.Dense(8, use_bias=False), layers.BatchNormalization(),
                          layers.LeakyReLU(0.2), layers.Dense(6, activation="tanh")])
    d = keras.Sequential([keras.Input((6,)), layers.Dense(8, use_bias=False), layers.BatchNormalization(),
                          layers.LeakyReLU(0.2), layers.Dense(1)])
    rng = np.random.default_rng(0)
    # (no bias before batch norm: its true gradient is 0, and Adam would amplify round-off)
    for w in [*g.trainable_weights, *d.trainable_weights]:
        w.assign(rng.normal(0, 0.5, w.shape).astype("float32"))
    gan = FixedNoiseGAN(g, d, latent_dim=4, ema=0.9, r1=float(r1), update=update)
    gan.compile(d_optimizer=keras.optimizers.Adam(0.05), g_optimizer=keras.optimizers.Adam(0.05),
                label_smoothing=0.1)
    x = rng.uniform(-1, 1, (16, 6)).astype("float32")
    hist = gan.fit(x, batch_size=8, epochs=int(epochs), shuffle=False, verbose=0)
    return {"backend": keras.backend.backend(),
            "weights": [ops.convert_to_numpy(w).ravel().tolist() for w in gan.weights],
            "names": [w.path for w in gan.weights],
            "d_loss": hist.history.get("d_loss"), "g_loss": hist.history.get("g_loss")}


def main():
    print(json.dumps([case(*c) for c in json.loads(os.environ["GANUTILS_CHECK_CASES"])]))


if __name__ == "__main__":
    sys.exit(main())
