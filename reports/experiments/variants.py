"""Networks that reports/colour_runs.md compared but the course did not keep, registered in
`ganutils.models.MODELS` when this file is imported (as `recipes.py` does):

* `dcgan64_sa16`: `dcgan64_resize` with a self-attention block (SAGAN, Zhang et al. 2019)
  at 16x16 in both networks: after the generator's second doubling, after the
  discriminator's second convolution. Every position attends to every other (one-head
  `MultiHeadAttention`, keys of an eighth of the channels); the result is added through a
  1x1 convolution that starts at zero, so training starts from the plain networks.
* `cgan32_d15`: `cgan32` with its projection discriminator's four convolutions 1.5 times as
  wide (96, 192, 192, 384 filters).
* `cgan32_g192`: `cgan32` with the generator's three transposed convolutions at 192
  filters instead of 128.
"""

from __future__ import annotations

from ganutils import models  # first: quiets TensorFlow's start-up notices

import keras
from keras import layers


def attention(x):
    """x + a zero-initialised 1x1 convolution of self-attention over all of x's positions."""
    h, w, c = x.shape[1:]
    seq = layers.Reshape((h * w, c))(x)
    att = layers.MultiHeadAttention(num_heads=1, key_dim=max(c // 8, 1))(seq, seq)
    att = layers.Reshape((h, w, c))(att)
    return layers.Add()([x, layers.Conv2D(c, 1, kernel_initializer="zeros")(att)])


def _after(model, index):
    """A functional copy of a Sequential `model` with `attention` after layer `index`."""
    x = inputs = keras.Input(model.inputs[0].shape[1:])
    for i, layer in enumerate(model.layers):
        x = layer(x)
        if i == index:
            x = attention(x)
    return keras.Model(inputs, x, name=f"{model.name}_sa16")


def dcgan64_sa16_generator(latent_dim=128, image_shape=(64, 64, 3)):
    g = models.dcgan64_resize_generator(latent_dim, image_shape)
    sizes = [l.output.shape[1] if len(l.output.shape) == 4 else 0 for l in g.layers]
    last16 = max(i for i, s in enumerate(sizes) if s == 16)  # the 16x16 block's activation
    return _after(g, last16)


def dcgan64_sa16_discriminator(image_shape=(64, 64, 3)):
    d = models.dcgan64_discriminator(image_shape)
    sizes = [l.output.shape[1] if len(l.output.shape) == 4 else 0 for l in d.layers]
    last16 = max(i for i, s in enumerate(sizes) if s == 16)  # after the second convolution
    return _after(d, last16)


def cgan32_d15_discriminator(image_shape=(32, 32, 3), num_classes=10):
    """`cgan32_discriminator` 1.5 times as wide."""
    return models.cgan32_discriminator(image_shape, num_classes, widths=(96, 192, 192, 384))


def cgan32_g192_generator(latent_dim=200, image_shape=(32, 32, 3), num_classes=10):
    """`cgan32_generator` with 192 filters in each transposed convolution."""
    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")
    embed = layers.Flatten()(layers.Embedding(num_classes, 50, name="label_embedding")(label))
    body = keras.Sequential([keras.Input((latent_dim + 50,)), layers.Dense(4 * 4 * 256),
                             layers.LeakyReLU(negative_slope=0.2), layers.Reshape((4, 4, 256))],
                            name="dcgan32_generator")
    for _ in range(3):
        body.add(layers.Conv2DTranspose(192, 4, strides=2, padding="same"))
        body.add(layers.LeakyReLU(negative_slope=0.2))
    body.add(layers.Conv2D(image_shape[-1], 3, padding="same", activation="tanh"))
    return keras.Model([noise, label], body(layers.Concatenate()([noise, embed])),
                       name="cgan32_generator")


cgan32 = models.MODELS["cgan32"]
resize = models.MODELS["dcgan64_resize"]
models.MODELS.update({
    "dcgan64_sa16": models.ModelSpec(dcgan64_sa16_generator, dcgan64_sa16_discriminator,
                                     resize.latent_dim, resize.image_shape, False, "pokemon",
                                     resize.batch_size),
    "cgan32_d15": models.ModelSpec(cgan32.generator, cgan32_d15_discriminator, cgan32.latent_dim,
                                   cgan32.image_shape, True, "cifar10", cgan32.batch_size),
    "cgan32_g192": models.ModelSpec(cgan32_g192_generator, cgan32.discriminator, cgan32.latent_dim,
                                    cgan32.image_shape, True, "cifar10", cgan32.batch_size),
})
