"""The GAN as a `keras.Model`: one `train_step`, trained with plain `fit`.

Why a Model subclass rather than the seeds' `trainable=False` + `train_on_batch` stack:
Keras 3 freezes trainability when a model is compiled, so the stacked model silently
trains the wrong weights or none. Writing the step out with two gradient tapes keeps
every update visible, and `fit` still gives the progress bar, `History` and callbacks.
"""

from __future__ import annotations

import keras
from keras import ops

from . import xla
from .augment import diff_augment, parse_policy


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

    With `augment` (e.g. "color,translation,cutout") the discriminator sees every image,
    real or fake, through DiffAugment (`ganutils.augment`): what lets a GAN learn from a
    few thousand images without its discriminator memorising them.
    """

    conditional = False

    def __init__(self, generator, discriminator, latent_dim=None, seed=0, ema=0.0,
                 augment=None, **kw):
        super().__init__(**kw)
        self.generator = generator
        self.discriminator = discriminator
        self.augment = parse_policy(augment)
        if self.augment:  # its own random stream, saved with the model like the noise's
            self.augment_seed = keras.random.SeedGenerator(seed + 1)
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
        super().compile(optimizer=None, **kw)  # the two optimizers below do all the updating
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.label_smoothing = float(label_smoothing)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        if keras.backend.backend() == "jax":
            # JAX's `fit` carries `model.optimizer.variables` through its compiled step as
            # plain arrays; this makes it carry both optimizers' variables.
            self.optimizer = _BothOptimizers(self)

    def build_optimizers(self):
        """Create both optimizers' variables (each for its own network), as loading a
        checkpoint and JAX's compiled step need them before the first update."""
        for opt, net in ((self.d_optimizer, self.discriminator), (self.g_optimizer, self.generator)):
            if not opt.built:
                opt.build(net.trainable_variables)

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
        """Real scored 1 (or 1 - label_smoothing), fakes 0."""
        real_target = ops.ones_like(real_logits) * (1.0 - self.label_smoothing)
        return (self.bce(real_target, real_logits)
                + self.bce(ops.zeros_like(fake_logits), fake_logits))

    def g_loss(self, fake_logits):
        """Non-saturating: maximise log D(G(z)) instead of minimising log(1 - D(G(z)))."""
        return self.bce(ops.ones_like(fake_logits), fake_logits)

    def draw_noise(self, batch):
        return xla.normal((batch, self.latent_dim), self.noise_seed)  # keras.random.normal, faster under XLA

    def train_step(self, *args):
        if keras.backend.backend() == "jax":  # JAX passes the state in and wants it back
            return self._jax_train_step(*args)
        return self._tf_train_step(*args)

    def _tf_train_step(self, data):
        import tensorflow as tf

        real, labels = self.split_batch(data)
        batch = ops.shape(real)[0]
        noise = self.draw_noise(batch)

        with tf.GradientTape() as g_tape:
            fake = self.generate(noise, labels, training=True)
            with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                real_logits = self.discriminate(real, labels, training=True)
                fake_logits = self.discriminate(ops.stop_gradient(fake), labels, training=True)
                d_loss = self.d_loss(real_logits, fake_logits)
            d_vars = self.discriminator.trainable_variables
            # scale_loss: identity, except under mixed_float16's LossScaleOptimizer.
            d_grads = d_tape.gradient(self.d_optimizer.scale_loss(d_loss), d_vars)
            self.d_optimizer.apply_gradients(zip(d_grads, d_vars))
            g_loss = self.g_loss(self.discriminate(fake, labels, training=True))
        g_vars = self.generator.trainable_variables
        g_grads = g_tape.gradient(self.g_optimizer.scale_loss(g_loss), g_vars)
        self.g_optimizer.apply_gradients(zip(g_grads, g_vars))
        if self.ema:
            self.update_ema()

        # Under a tf.distribute strategy Keras divides each replica's loss by the number of
        # replicas (so the summed gradients are those of the global batch's mean); undo that
        # for the logged values, which should read the same on one device or several.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return self.log_losses(d_loss * replicas, g_loss * replicas)

    def log_losses(self, d_loss, g_loss):
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    def _jax_train_step(self, state, data):
        """The same step for Keras's JAX backend (what runs on a GPU box without TensorFlow).

        JAX has no tape and no mutable variables inside a compiled function: every variable's
        value comes in as `state` and goes out updated. `run(values, fn)` calls ordinary
        Keras code with the variables reading from `values` and returns what it assigned;
        `jax.vjp` stands in for the generator's tape, `jax.value_and_grad` for the
        discriminator's. The order of operations, and so the result, is the TensorFlow step's.
        """
        import jax

        groups = (self.trainable_variables, self.non_trainable_variables,
                  self.optimizer.variables, self.metrics_variables)
        variables = [v for g in groups for v in g]
        values = {id(v): x for v, x in zip(variables, (x for g in state for x in g))}

        def run(vals, fn):
            with keras.StatelessScope([(v, vals[id(v)]) for v in variables]) as scope:
                out = fn()
            return out, {k: scope.state_mapping[k] for k in vals}

        def put(vals, vars_, new):
            return {**vals, **{id(v): x for v, x in zip(vars_, new)}}

        def get(vals, vars_):
            return [vals[id(v)] for v in vars_]

        def drop(vals, vars_):  # the updates of everything but what is being differentiated
            skip = {id(v) for v in vars_}
            return {k: x for k, x in vals.items() if k not in skip}

        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)  # batches arrive as tuples here
        real, labels = self.split_batch(x if y is None else (x, y))
        batch = real.shape[0]
        g_vars, d_vars = self.generator.trainable_variables, self.discriminator.trainable_variables
        noise, values = run(values, lambda: self.draw_noise(batch))

        def generate(g_params):
            fake, new = run(put(values, g_vars, g_params),
                            lambda: self.generate(noise, labels, training=True))
            return fake, drop(new, g_vars)

        fake, g_pullback, updates = jax.vjp(generate, get(values, g_vars), has_aux=True)
        values = {**values, **updates}

        def d_loss_fn(d_params, vals):
            def loss():
                real_logits = self.discriminate(real, labels, training=True)
                fake_logits = self.discriminate(jax.lax.stop_gradient(fake), labels, training=True)
                d_loss = self.d_loss(real_logits, fake_logits)
                return self.d_optimizer.scale_loss(d_loss), d_loss
            (scaled, d_loss), new = run(put(vals, d_vars, d_params), loss)
            return scaled, (d_loss, drop(new, d_vars))

        (_, (d_loss, updates)), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
            get(values, d_vars), values)
        values = {**values, **updates}
        d_opt = self.d_optimizer.variables
        new_d, new_opt = self.d_optimizer.stateless_apply(get(values, d_opt), d_grads,
                                                          get(values, d_vars))
        values = put(put(values, d_vars, new_d), d_opt, new_opt)

        def g_loss_fn(fake_images, vals):  # through the updated discriminator
            def loss():
                g_loss = self.g_loss(self.discriminate(fake_images, labels, training=True))
                return self.g_optimizer.scale_loss(g_loss), g_loss
            (scaled, g_loss), new = run(vals, loss)
            return scaled, (g_loss, new)

        (_, (g_loss, values)), fake_grad = jax.value_and_grad(g_loss_fn, has_aux=True)(
            fake, values)
        (g_grads,) = g_pullback(fake_grad)
        g_opt = self.g_optimizer.variables
        new_g, new_opt = self.g_optimizer.stateless_apply(get(values, g_opt), g_grads,
                                                          get(values, g_vars))
        values = put(put(values, g_vars, new_g), g_opt, new_opt)
        if self.ema:
            _, values = run(values, self.update_ema)
        logs, values = run(values, lambda: self.log_losses(d_loss, g_loss))
        return logs, tuple(get(values, g) for g in groups)


class _BothOptimizers:
    """The discriminator's and the generator's optimizers seen as the one `model.optimizer`
    that Keras's JAX trainer expects: it only reads `variables` and builds it once."""

    def __init__(self, gan):
        self.gan = gan

    @property
    def built(self):
        return self.gan.d_optimizer.built and self.gan.g_optimizer.built

    def build(self, _variables=None):
        self.gan.build_optimizers()

    @property
    def variables(self):
        return [*self.gan.d_optimizer.variables, *self.gan.g_optimizer.variables]


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

