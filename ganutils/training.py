"""The GAN as a `keras.Model`: one `train_step`, trained with plain `fit`.

Why a Model subclass rather than the writeups' `trainable=False` + `train_on_batch` stack:
Keras 3 freezes trainability when a model is compiled, so the stacked model silently
trains the wrong weights or none. Writing the step out with two gradient tapes keeps
every update visible, and `fit` still gives the progress bar, `History` and callbacks.
"""

from __future__ import annotations

import keras
from keras import ops

from . import fastgan, training_jax, xla
from .augment import diff_augment, parse_policy
from .trainconfig import LOSSES, UPDATES


class GAN(keras.Model):
    """Unconditional GAN with the non-saturating loss (Goodfellow et al. 2014, section 3).

    Each step (`train_step`) draws one batch of noise and generates once. The discriminator
    is updated on real images and on those fakes; then the *updated* discriminator scores
    the same fakes and the generator is updated to make them look real. `label_smoothing`
    lowers the real target to 1 - s (one-sided, Salimans et al. 2016).

    With `ema` (e.g. 0.999) a second copy of the generator, `ema_generator`, follows an
    exponential moving average of the generator's weights (Yazici et al. 2019; ProGAN,
    StyleGAN and BigGAN sample this way). The raw generator oscillates as it chases the
    discriminator, over-producing one class for a while, then another; the average sits
    between those swings, so it draws cleaner images and covers the classes more evenly.
    `sampler` is the network to draw images from: the average when there is one.

    With `augment` (e.g. "color,translation,cutout") the discriminator sees every image,
    real or fake, through DiffAugment (`ganutils.augment`): what lets a GAN learn from a
    few thousand images without its discriminator memorising them.

    With `r1` (gamma, e.g. 0.1 to 10) the discriminator also pays gamma/2 times the squared
    norm of its score's gradient at the real images (R1, Mescheder et al. 2018, "Which
    Training Methods for GANs do actually Converge?"; StyleGAN2-ADA trains few-shot sets
    with it). A discriminator that must stay flat around every real image cannot carve a
    sharp peak at each one, which is how it memorises a small training set.

    `update` says when the generator's step sees the discriminator's. "alternating" (the
    default, as Goodfellow et al.'s Algorithm 1 with one discriminator step, here on the
    same fakes) updates the discriminator first and scores the fakes again with it, so the
    generator chases the discriminator as it now is. "simultaneous" (the TensorFlow DCGAN tutorial) lets one
    scoring of the fakes serve both losses and steps both networks from the same point:
    one pass of the discriminator fewer a step.
    """

    conditional = False

    def __init__(self, generator, discriminator, latent_dim=None, seed=0, ema=0.0,
                 augment=None, loss="bce", r1=0.0, update="alternating", **kw):
        super().__init__(**kw)
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
        if update not in UPDATES:
            raise ValueError(f"update must be one of {', '.join(UPDATES)}, got {update!r}")
        self.loss, self.update_rule = loss, update
        self.generator = generator
        self.discriminator = discriminator
        self.augment = parse_policy(augment)
        if self.augment:  # its own random stream, saved with the model like the noise's
            self.augment_seed = keras.random.SeedGenerator(seed + 1)
        self.ema = float(ema)
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema must be in [0, 1), got {ema}")
        self.r1 = float(r1)
        if self.r1 < 0:
            raise ValueError(f"r1 must be >= 0, got {r1}")
        if self.ema:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
        self.latent_dim = int(latent_dim or generator.inputs[0].shape[-1])
        # Part of the model's state: saved with the weights, so a resumed run draws the
        # same noise an uninterrupted one would.
        self.noise_seed = keras.random.SeedGenerator(seed)
        # int32: Keras's JAX backend has no int64 unless asked, and warns when it truncates.
        self.epochs_done = keras.Variable(0, dtype="int32", trainable=False, name="epochs_done")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True  # both networks arrive built; nothing to infer from data

    def compile(self, d_optimizer=None, g_optimizer=None, label_smoothing=0.0, **kw):
        """Adam(2e-4, beta_1=0.5) for both by default, as DCGAN (Radford et al. 2015) advises."""
        super().compile(optimizer=None, **kw)  # the two optimizers below do all the updating
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.label_smoothing = float(label_smoothing)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        if keras.backend.backend() == "jax":  # the same step without tapes
            training_jax.use_jax_step(self)

    def build_optimizers(self):
        """Create both optimizers' variables (each for its own network), as loading a
        checkpoint and JAX's compiled step need them before the first update."""
        for opt, net in ((self.d_optimizer, self.discriminator), (self.g_optimizer, self.generator)):
            if not opt.built:
                opt.build(self.trainable_weights_of(net))

    def trainable_weights_of(self, network):
        """The weights that `network`'s optimizer steps (a subclass may add its helpers')."""
        return network.trainable_variables

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
        return self.discriminator(self.augmented(images, training), training=training)

    def augmented(self, images, training):
        """DiffAugment (`ganutils.augment`) of real and fake images alike, in training only."""
        if self.augment and training:
            return diff_augment(images, self.augment_seed, self.augment)
        return images

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def d_loss(self, real_logits, fake_logits):
        """Real scored 1 (or 1 - label_smoothing), fakes 0. Hinge: real pushed above +1,
        fakes below -1, nothing more asked of scores already past their margin."""
        if self.loss == "hinge":
            return (ops.mean(ops.relu(1.0 - real_logits))
                    + ops.mean(ops.relu(1.0 + fake_logits)))
        real_target = ops.ones_like(real_logits) * (1.0 - self.label_smoothing)
        return (self.bce(real_target, real_logits)
                + self.bce(ops.zeros_like(fake_logits), fake_logits))

    def g_loss(self, fake_logits):
        """Non-saturating: maximise log D(G(z)) instead of minimising log(1 - D(G(z))).
        Hinge (Lim & Ye 2017; SN-GAN): raise the discriminator's score of the fakes."""
        if self.loss == "hinge":
            return -ops.mean(fake_logits)
        return self.bce(ops.ones_like(fake_logits), fake_logits)

    def r1_penalty(self, slope):
        """gamma/2 times the batch mean of |dD(x)/dx|^2, from the gradient `slope` of the
        real images' scores with respect to those images."""
        flat = ops.reshape(slope, (ops.shape(slope)[0], -1))
        return 0.5 * self.r1 * ops.mean(ops.sum(ops.square(ops.cast(flat, "float32")), axis=1))

    def draw_noise(self, batch):
        return xla.normal((batch, self.latent_dim), self.noise_seed)  # keras.random.normal, faster under XLA

    def train_step(self, data):
        """One round of the game: the discriminator learns to tell real images from
        generated ones, then the generator learns to fool the updated discriminator."""
        import tensorflow as tf

        real, labels = self.split_batch(data)
        noise = self.draw_noise(ops.shape(real)[0])
        if self.update_rule == "simultaneous":  # the TensorFlow tutorial's step, below
            return self.finish_step(*self.simultaneous_update(real, labels, noise))
        # The generator's tape records how the fakes are made; it is paused while the
        # discriminator learns, then resumed to see the updated discriminator score them.
        with tf.GradientTape() as g_tape:
            fake = self.generate(noise, labels, training=True)

        # 1. The discriminator: real images should score "real", the fakes "fake".
        with tf.GradientTape() as d_tape:
            real_logits, penalty = self.real_scores(real, labels)  # penalty: 0 unless r1
            d_loss = self.d_loss(real_logits, self.discriminate(fake, labels, training=True))
            total = d_loss + penalty  # on the tape: what the discriminator descends
        self.update(self.discriminator, self.d_optimizer, d_tape, total)

        # 2. The generator: the same fakes should now score "real".
        with g_tape:
            g_loss = self.g_loss(self.discriminate(fake, labels, training=True))
        self.update(self.generator, self.g_optimizer, g_tape, g_loss)
        return self.finish_step(d_loss, g_loss)

    def finish_step(self, d_loss, g_loss):
        """After both updates: move the weight average, then log the losses."""
        import tensorflow as tf

        if self.ema:
            self.update_ema()
        # Under a tf.distribute strategy Keras divides each replica's loss by the number of
        # replicas; undo that for the logged values, which then read the same on any setup.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return self.log_losses(d_loss * replicas, g_loss * replicas)

    def simultaneous_update(self, real, labels, noise):
        """The TensorFlow DCGAN tutorial's step (`update="simultaneous"`): one scoring of the
        real images and the fakes serves both losses; both networks step from it at once."""
        import tensorflow as tf

        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generate(noise, labels, training=True)
            real_logits, penalty = self.real_scores(real, labels)
            fake_logits = self.discriminate(fake, labels, training=True)
            d_loss = self.d_loss(real_logits, fake_logits)  # real "real", fakes "fake" ...
            total = d_loss + penalty
            g_loss = self.g_loss(fake_logits)  # ... and the same fakes "real"
        self.update(self.discriminator, self.d_optimizer, d_tape, total)
        self.update(self.generator, self.g_optimizer, g_tape, g_loss)
        return d_loss, g_loss

    def real_scores(self, real, labels):
        """The discriminator's scores of the real images, and R1's penalty on how steeply
        they change with the images (0 without `r1`). Called on the discriminator's tape."""
        import tensorflow as tf

        if not self.r1:
            return self.discriminate(real, labels, training=True), 0.0
        with tf.GradientTape() as r1_tape:  # how the real scores move with the images
            r1_tape.watch(real)
            real_logits = self.discriminate(real, labels, training=True)
            summed = ops.sum(real_logits)  # its gradient holds every image's slope
        return real_logits, self.r1_penalty(r1_tape.gradient(summed, real))

    def update(self, network, optimizer, tape, loss):
        """One optimizer step on `network`'s weights down the gradient of `loss`."""
        weights = self.trainable_weights_of(network)
        # scale_loss: the identity, except under mixed_float16's LossScaleOptimizer.
        grads = tape.gradient(optimizer.scale_loss(loss), weights)
        optimizer.apply_gradients(zip(grads, weights))

    def log_losses(self, d_loss, g_loss):
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
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
        return self.discriminator([self.augmented(images, training), labels], training=training)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)


class FastGAN(GAN):
    """The GAN step with FastGAN's discriminator: it scores real images and also rebuilds
    them; the rebuilding error (mean squared, in pixels) joins its loss on real images.
    The generator's step is the GAN's. Use with loss="hinge", as the paper."""

    def __init__(self, generator, discriminator, decoders, seed=0, **kw):
        if kw.get("r1"):
            raise ValueError("fastgan64 has no R1 option: its reconstruction loss keeps the "
                             "discriminator from memorising; set r1=0")
        super().__init__(generator, discriminator, seed=seed, **kw)
        self.decode_whole, self.decode_quarter = decoders
        self.quarter_seed = keras.random.SeedGenerator(seed + 2)
        self.rec_loss_tracker = keras.metrics.Mean(name="rec_loss")

    def compile(self, *args, **kw):
        if keras.backend.backend() != "tensorflow":  # the JAX step knows nothing of decoders
            raise ValueError("fastgan64 trains on Keras's TensorFlow backend only: set "
                             "KERAS_BACKEND=tensorflow")
        super().compile(*args, **kw)

    @property
    def metrics(self):
        return [*super().metrics, self.rec_loss_tracker]

    def trainable_weights_of(self, network):
        """The discriminator's step also trains the decoders."""
        if network is self.discriminator:
            return [*network.trainable_variables, *self.decode_whole.trainable_variables,
                    *self.decode_quarter.trainable_variables]
        return network.trainable_variables

    def discriminate(self, images, labels, training):
        return self.discriminator(self.augmented(images, training), training=training)[0]

    def real_scores(self, real, labels):
        """The real images' scores, and the error of rebuilding them from the discriminator's
        features: the whole image at half size from the 8x8 map, and a random quarter at
        full size from that quarter of the 16x16 map. The target is the image as the
        discriminator saw it (after DiffAugment)."""
        seen = self.augmented(real, training=True)
        logits, f8, f16 = self.discriminator(seen, training=True)
        whole = self.decode_whole(f8, training=True)
        shrink = seen.shape[1] // whole.shape[1]
        small = ops.average_pool(seen, shrink, shrink, padding="valid")
        which = keras.random.randint((ops.shape(seen)[0],), 0, 4, seed=self.quarter_seed)
        quarter = self.decode_quarter(fastgan.pick(fastgan.quarters(f16), which), training=True)
        target = fastgan.pick(fastgan.quarters(seen), which)
        rec = (ops.mean(ops.square(ops.cast(whole, "float32") - small))
               + ops.mean(ops.square(ops.cast(quarter, "float32") - target)))
        self.rec_loss_tracker.update_state(rec)
        return logits, rec

    def log_losses(self, d_loss, g_loss):
        return {**super().log_losses(d_loss, g_loss), "rec_loss": self.rec_loss_tracker.result()}
