"""The GAN as a `keras.Model`: one `train_step`, trained with plain `fit`.

Why a Model subclass rather than the seeds' `trainable=False` + `train_on_batch` stack:
Keras 3 freezes trainability when a model is compiled, so the stacked model silently
trains the wrong weights or none. Writing the step out with two gradient tapes keeps
every update visible, and `fit` still gives the progress bar, `History` and callbacks.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops


class GAN(keras.Model):
    """Unconditional GAN with the non-saturating loss (Goodfellow et al. 2014, section 3).

    Each step draws one batch of noise and generates once. The discriminator is updated on
    real images and on those fakes (held constant); then the *updated* discriminator scores
    the same fakes and the generator is updated to make them look real. `label_smoothing`
    lowers the real target to 1 - s (one-sided, Salimans et al. 2016).

    With `ema` (e.g. 0.999) a second copy of the generator, `ema_generator`, follows an
    exponential moving average of the generator's weights (Yazici et al. 2019; ProGAN,
    StyleGAN and BigGAN sample this way). The raw generator oscillates as it chases the
    discriminator, over-producing one class for a while, then another; the average sits
    between those swings, so it draws cleaner images and covers the classes more evenly.
    `sampler` is the network to draw images from: the average when there is one.
    """

    conditional = False

    def __init__(self, generator, discriminator, latent_dim=None, seed=0, ema=0.0, **kw):
        super().__init__(**kw)
        self.generator = generator
        self.discriminator = discriminator
        self.ema = float(ema)
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema must be in [0, 1), got {ema}")
        if self.ema:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
        self.latent_dim = int(latent_dim or generator.inputs[0].shape[-1])
        # Part of the model's state: saved with the weights, so a resumed run draws the
        # same noise an uninterrupted one would.
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.epochs_done = keras.Variable(0, dtype="int64", trainable=False, name="epochs_done")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True  # both networks arrive built; nothing to infer from data

    def compile(self, d_optimizer=None, g_optimizer=None, label_smoothing=0.0, **kw):
        """Adam(2e-4, beta_1=0.5) for both by default, as DCGAN (Radford et al. 2015) advises."""
        super().compile(**kw)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.label_smoothing = float(label_smoothing)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @property
    def sampler(self):
        """The generator to draw images from: the weight average if `ema`, else the generator."""
        return self.ema_generator if self.ema else self.generator

    def update_ema(self):
        """Move the average towards the generator. The decay ramps up from 0.1 as
        (1 + t) / (10 + t) over the first steps (as tf.train.ExponentialMovingAverage with
        num_updates), so short runs are not dragged back towards the random initial weights.
        Batch-norm statistics are averaged the same way as the weights."""
        t = ops.cast(self.g_optimizer.iterations, "float32")
        decay = ops.minimum(self.ema, (1.0 + t) / (10.0 + t))
        for avg, w in zip(self.ema_generator.weights, self.generator.weights):
            avg.assign(decay * avg + (1.0 - decay) * w)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    # Hooks the conditional subclass overrides: what G and D are called with.
    def split_batch(self, data):
        return data, None

    def generate(self, noise, labels, training):
        return self.generator(noise, training=training)

    def discriminate(self, images, labels, training):
        return self.discriminator(images, training=training)

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def train_step(self, data):
        real, labels = self.split_batch(data)
        batch = ops.shape(real)[0]
        noise = keras.random.normal((batch, self.latent_dim), seed=self.noise_seed)
        ones, zeros = ops.ones((batch, 1)), ops.zeros((batch, 1))

        with tf.GradientTape() as g_tape:
            fake = self.generate(noise, labels, training=True)
            with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                real_logits = self.discriminate(real, labels, training=True)
                fake_logits = self.discriminate(ops.stop_gradient(fake), labels, training=True)
                d_loss = (self.bce(ones * (1.0 - self.label_smoothing), real_logits)
                          + self.bce(zeros, fake_logits))
            d_vars = self.discriminator.trainable_variables
            # scale_loss: identity, except under mixed_float16's LossScaleOptimizer.
            d_grads = d_tape.gradient(self.d_optimizer.scale_loss(d_loss), d_vars)
            self.d_optimizer.apply_gradients(zip(d_grads, d_vars))
            # Non-saturating: maximise log D(G(z)) instead of minimising log(1 - D(G(z))).
            g_loss = self.bce(ones, self.discriminate(fake, labels, training=True))
        g_vars = self.generator.trainable_variables
        g_grads = g_tape.gradient(self.g_optimizer.scale_loss(g_loss), g_vars)
        self.g_optimizer.apply_gradients(zip(g_grads, g_vars))
        if self.ema:
            self.update_ema()

        # Under a tf.distribute strategy Keras divides each replica's loss by the number of
        # replicas (so the summed gradients are those of the global batch's mean); undo that
        # for the logged values, which should read the same on one device or several.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        self.d_loss_tracker.update_state(d_loss * replicas)
        self.g_loss_tracker.update_state(g_loss * replicas)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


class ConditionalGAN(GAN):
    """GAN whose generator and discriminator both see the class label (Mirza & Osindero 2014).

    Batches are `(images, labels)`; the fakes are generated for the batch's real labels, so
    every class is trained in proportion to the data.
    """

    conditional = True

    def split_batch(self, data):
        images, labels = data
        return images, ops.reshape(ops.cast(labels, "int32"), (-1, 1))

    def generate(self, noise, labels, training):
        return self.generator([noise, labels], training=training)

    def discriminate(self, images, labels, training):
        return self.discriminator([images, labels], training=training)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

