"""`GAN.train_step` for Keras's JAX backend (what runs on a GPU box without TensorFlow).

The same updates in the same order as the TensorFlow step in `training.py`; only the
mechanics differ. JAX has no tape and no mutable variables inside a compiled function:
Keras passes every variable's value in as `state` and wants the updated values back.
`run(values, fn)` calls ordinary Keras code with the variables reading from `values` and
returns what it assigned (batch-norm statistics, random-number states); `jax.value_and_grad`
and `jax.vjp` of such calls stand in for the tapes. `tests/test_backends.py` checks that both steps give
the same weights and losses.
"""

from __future__ import annotations

import keras


def use_jax_step(gan) -> None:
    """Make `gan.fit` train with `train_step` below, carrying both optimizers' variables
    (JAX's `fit` carries `model.optimizer.variables` through its compiled step)."""
    gan.optimizer = _BothOptimizers(gan)
    gan.train_step = lambda state, data: train_step(gan, state, data)


def train_step(gan, state, data):
    import jax

    groups = (gan.trainable_variables, gan.non_trainable_variables,
              gan.optimizer.variables, gan.metrics_variables)
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

    def update(vals, network, optimizer, grads):
        weights, opt_vars = network.trainable_variables, optimizer.variables
        new_w, new_opt = optimizer.stateless_apply(get(vals, opt_vars), grads, get(vals, weights))
        return put(put(vals, weights, new_w), opt_vars, new_opt)

    x, y, _ = keras.utils.unpack_x_y_sample_weight(data)  # batches arrive as tuples here
    real, labels = gan.split_batch(x if y is None else (x, y))
    noise, values = run(values, lambda: gan.draw_noise(real.shape[0]))

    # The generator's forward pass, kept differentiable: `pullback` turns a gradient for the
    # fakes into one for the generator's weights (what resuming its tape does in TensorFlow).
    g_weights = gan.generator.trainable_variables

    def generate(weights):
        fake, new = run(put(values, g_weights, weights),
                        lambda: gan.generate(noise, labels, training=True))
        return fake, _without(new, gan.generator)

    fake, pullback, new = jax.vjp(generate, get(values, g_weights), has_aux=True)
    values = {**values, **new}

    d_weights = gan.discriminator.trainable_variables

    def scores(weights, fakes):
        """The discriminator's scores of the real images and of `fakes`, and R1's penalty."""
        vals = put(values, d_weights, weights)

        def real_scores(images):  # how the real scores move with the images (R1)
            return run(vals, lambda: gan.discriminate(images, labels, training=True))

        real_logits, slope_of, vals = jax.vjp(real_scores, real, has_aux=True)
        fake_logits, vals = run(vals, lambda: gan.discriminate(fakes, labels, training=True))
        penalty = (gan.r1_penalty(slope_of(jax.numpy.ones_like(real_logits))[0]) if gan.r1
                   else jax.numpy.zeros(()))
        return (real_logits, fake_logits, penalty), vals

    def d_total(s):  # real images should score "real", the fakes "fake"
        loss = gan.d_loss(s[0], s[1])
        return gan.d_optimizer.scale_loss(loss + s[2]), loss

    def g_total(fake_logits):  # the fakes should score "real"
        loss = gan.g_loss(fake_logits)
        return gan.g_optimizer.scale_loss(loss), loss

    if gan.update_rule == "simultaneous":
        # One scoring serves both losses; each pulls its own gradient back through it
        # (the compiler drops the halves of each pull-back that go unused).
        s, pull, new = jax.vjp(scores, get(values, d_weights), fake, has_aux=True)
        (_, d_loss), d_cotangent = jax.value_and_grad(d_total, has_aux=True)(s)
        (_, g_loss), g_cotangent = jax.value_and_grad(g_total, has_aux=True)(s[1])
        grads, _ = pull(d_cotangent)
        _, fake_grad = pull((jax.numpy.zeros_like(s[0]), g_cotangent, jax.numpy.zeros(())))
        values = update({**values, **_without(new, gan.discriminator)}, gan.discriminator,
                        gan.d_optimizer, grads)
    else:
        # 1. The discriminator steps on real images and fakes.
        def d_losses(weights):
            s, vals = scores(weights, jax.lax.stop_gradient(fake))
            total, loss = d_total(s)
            return total, (loss, vals)

        (_, (d_loss, new)), grads = jax.value_and_grad(d_losses, has_aux=True)(get(values, d_weights))
        values = update({**values, **_without(new, gan.discriminator)}, gan.discriminator,
                        gan.d_optimizer, grads)

        # 2. The generator: the same fakes, scored by the updated discriminator.
        def g_losses(fake_images):
            (total, loss), new = run(values, lambda: g_total(
                gan.discriminate(fake_images, labels, training=True)))
            return total, (loss, new)

        (_, (g_loss, values)), fake_grad = jax.value_and_grad(g_losses, has_aux=True)(fake)
    (grads,) = pullback(fake_grad)
    values = update(values, gan.generator, gan.g_optimizer, grads)

    if gan.ema:
        _, values = run(values, gan.update_ema)
    logs, values = run(values, lambda: gan.log_losses(d_loss, g_loss))
    return logs, tuple(get(values, g) for g in groups)


def _without(values, network):
    """`values` less `network`'s weights: those come from the optimizer, not the forward pass."""
    skip = {id(v) for v in network.trainable_variables}
    return {k: x for k, x in values.items() if k not in skip}


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
