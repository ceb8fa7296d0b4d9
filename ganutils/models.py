"""Generator and discriminator builders, each following one seed writeup in `../shared/seeds/`.

Generators map noise (and a label, for conditional ones) to images in [-1, 1] via tanh.
Discriminators return one *logit* per image (no sigmoid): the losses use
`from_logits=True`, which is numerically safer than a sigmoid followed by a log.
`MODELS` names every pair so notebooks and the command line can pick one by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import keras
from keras import layers

from .errors import check_choice
from .phase_conv import Conv2D, Conv2DTranspose  # Keras's layers, faster under XLA (see phase_conv)
from .xla import MaxPooling2D  # likewise


def _lrelu():
    return layers.LeakyReLU(negative_slope=0.2)


# ------------------------------------------------------------------ 28x28: seed 002 GAN (MLP)
def mlp_generator(latent_dim=100, image_shape=(28, 28, 1)):
    """Seed 002 GAN generator: Dense 256-512-1024, LeakyReLU 0.2 then BatchNorm (momentum 0.8)."""
    model = keras.Sequential([keras.Input((latent_dim,))], name="mlp_generator")
    for units in (256, 512, 1024):
        model.add(layers.Dense(units))
        model.add(_lrelu())
        model.add(layers.BatchNormalization(momentum=0.8))
    model.add(layers.Dense(int(np.prod(image_shape)), activation="tanh"))
    model.add(layers.Reshape(image_shape))
    return model


def mlp_discriminator(image_shape=(28, 28, 1)):
    """Seed 002 GAN discriminator: Flatten, Dense 512-256 with LeakyReLU 0.2, one logit."""
    return keras.Sequential([
        keras.Input(image_shape), layers.Flatten(),
        layers.Dense(512), _lrelu(), layers.Dense(256), _lrelu(), layers.Dense(1),
    ], name="mlp_discriminator")


# ------------------------------------------------------ 28x28: seed 002 DCGAN (upsample + conv)
def dcgan_upsample_generator(latent_dim=100, image_shape=(28, 28, 1)):
    """Seed 002 DCGAN generator: Dense to 7x7x128, two (UpSampling, Conv 3x3, BN, ReLU), tanh conv."""
    model = keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 128, activation="relu"), layers.Reshape((7, 7, 128)),
    ], name="dcgan_upsample_generator")
    for filters in (128, 64):
        model.add(layers.UpSampling2D())
        model.add(Conv2D(filters, 3, padding="same"))
        model.add(layers.BatchNormalization(momentum=0.8))
        model.add(layers.Activation("relu"))
    model.add(Conv2D(image_shape[-1], 3, padding="same", activation="tanh"))
    return model


def dcgan_upsample_discriminator(image_shape=(28, 28, 1)):
    """Seed 002 DCGAN discriminator: strided 3x3 convs 32-64-128-256, BN, LeakyReLU, dropout 0.25."""
    return keras.Sequential([
        keras.Input(image_shape),
        Conv2D(32, 3, strides=2, padding="same"), _lrelu(), layers.Dropout(0.25),
        Conv2D(64, 3, strides=2, padding="same"),
        layers.ZeroPadding2D(((0, 1), (0, 1))),
        layers.BatchNormalization(momentum=0.8), _lrelu(), layers.Dropout(0.25),
        Conv2D(128, 3, strides=2, padding="same"),
        layers.BatchNormalization(momentum=0.8), _lrelu(), layers.Dropout(0.25),
        Conv2D(256, 3, strides=1, padding="same"),
        layers.BatchNormalization(momentum=0.8), _lrelu(), layers.Dropout(0.25),
        layers.Flatten(), layers.Dense(1),
    ], name="dcgan_upsample_discriminator")


# ------------------------------------------------------ 28x28: seed 004 DCGAN (conv-transpose)
def dcgan_transpose_generator(latent_dim=100, image_shape=(28, 28, 1)):
    """Seed 004 generator, layer for layer as its Table 1 (1,727,233 parameters at latent 100):
    Dense 512 + ReLU + BN, Dense 7*7*64 + ReLU + BN, ConvT 32 5x5/2 + ReLU + BN, ConvT 1 5x5/2, tanh.
    """
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(512), layers.Activation("relu"), layers.BatchNormalization(),
        layers.Dense(7 * 7 * 64), layers.Activation("relu"), layers.BatchNormalization(),
        layers.Reshape((7, 7, 64)),
        Conv2DTranspose(32, 5, strides=2, padding="same"),
        layers.Activation("relu"), layers.BatchNormalization(),
        Conv2DTranspose(image_shape[-1], 5, strides=2, padding="same"),
        layers.Activation("tanh"),
    ], name="dcgan_transpose_generator")


def dcgan_transpose_discriminator(image_shape=(28, 28, 1)):
    """Seed 004's companion discriminator: Conv 32 and 64 5x5/2 with LeakyReLU 0.2, Dense 512."""
    return keras.Sequential([
        keras.Input(image_shape),
        Conv2D(32, 5, strides=2, padding="same"), _lrelu(),
        Conv2D(64, 5, strides=2, padding="same"), _lrelu(),
        layers.Flatten(), layers.Dense(512), _lrelu(), layers.Dense(1),
    ], name="dcgan_transpose_discriminator")


# ----------------------------------------------------------- 28x28: seed 002 CGAN (conditional)
def cgan_mlp_generator(latent_dim=100, image_shape=(28, 28, 1), num_classes=10):
    """Seed 002 CGAN generator: a label embedding (size latent_dim) multiplied into the noise,
    then the seed 002 MLP generator."""
    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")
    embed = layers.Flatten()(layers.Embedding(num_classes, latent_dim, name="label_embedding")(label))
    body = mlp_generator(latent_dim, image_shape)  # last layer: sampling.blend_labels uses it
    return keras.Model([noise, label], body(layers.Multiply()([noise, embed])),
                       name="cgan_mlp_generator")


def cgan_mlp_discriminator(image_shape=(28, 28, 1), num_classes=10):
    """Seed 002 CGAN discriminator: a label embedding (size H*W*C) multiplied into the flat
    image, then Dense 512 x3 with LeakyReLU 0.2 and dropout 0.4 on the last two."""
    image = keras.Input(image_shape, name="image")
    label = keras.Input((1,), dtype="int32", name="label")
    size = int(np.prod(image_shape))
    embed = layers.Flatten()(layers.Embedding(num_classes, size)(label))
    x = layers.Multiply()([layers.Flatten()(image), embed])
    x = _lrelu()(layers.Dense(512)(x))
    for _ in range(2):
        x = layers.Dropout(0.4)(_lrelu()(layers.Dense(512)(x)))
    return keras.Model([image, label], layers.Dense(1)(x), name="cgan_mlp_discriminator")


# ----------------------------------------------------------------- 32x32: seeds 000 and 003
def dcgan32_generator(latent_dim=100, image_shape=(32, 32, 3)):
    """Seed 000 generator: Dense to 4x4x256, three ConvT 128 4x4/2 with LeakyReLU 0.2,
    a 3x3 conv to the image's channels, tanh. Seed 003 uses it with latent_dim=200."""
    model = keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(4 * 4 * 256), _lrelu(), layers.Reshape((4, 4, 256)),
    ], name="dcgan32_generator")
    for _ in range(3):
        model.add(Conv2DTranspose(128, 4, strides=2, padding="same"))
        model.add(_lrelu())
    model.add(Conv2D(image_shape[-1], 3, padding="same", activation="tanh"))
    return model


def dcgan32_discriminator(image_shape=(32, 32, 3)):
    """Seed 000 discriminator: 3x3 conv 64, then 3x3/2 convs 128-128-256, LeakyReLU 0.2,
    dropout 0.4 before the logit."""
    return keras.Sequential([
        keras.Input(image_shape),
        Conv2D(64, 3, padding="same"), _lrelu(),
        Conv2D(128, 3, strides=2, padding="same"), _lrelu(),
        Conv2D(128, 3, strides=2, padding="same"), _lrelu(),
        Conv2D(256, 3, strides=2, padding="same"), _lrelu(),
        layers.Flatten(), layers.Dropout(0.4), layers.Dense(1),
    ], name="dcgan32_discriminator")


def maxpool32_discriminator(image_shape=(32, 32, 3)):
    """Seed 003 discriminator: four 3x3 convs with three 2x2 max-pools between them,
    LeakyReLU 0.2, dropout 0.4 before the logit."""
    model = keras.Sequential([keras.Input(image_shape)], name="maxpool32_discriminator")
    for i, filters in enumerate((64, 128, 128, 256)):
        model.add(Conv2D(filters, 3, padding="same"))
        model.add(_lrelu())
        if i < 3:
            model.add(MaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dropout(0.4))
    model.add(layers.Dense(1))
    return model


# ------------------------------------------------------------------------ 64x64 image folders
def dcgan64_generator(latent_dim=128, image_shape=(64, 64, 3)):
    """DCGAN (Radford et al.) for 64x64 folders such as seed 001's Pokemon: 4x4x512, then
    ConvT 256-128-64 4x4/2 with BN and ReLU, a last ConvT to RGB, tanh."""
    model = keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(4 * 4 * 512, use_bias=False), layers.Reshape((4, 4, 512)),
        layers.BatchNormalization(), layers.Activation("relu"),
    ], name="dcgan64_generator")
    for filters in (256, 128, 64):
        model.add(Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False))
        model.add(layers.BatchNormalization())
        model.add(layers.Activation("relu"))
    model.add(Conv2DTranspose(image_shape[-1], 4, strides=2, padding="same", activation="tanh"))
    return model


def dcgan64_discriminator(image_shape=(64, 64, 3)):
    """DCGAN discriminator for 64x64: 4x4/2 convs 64-128-256-512, LeakyReLU 0.2, one logit."""
    model = keras.Sequential([keras.Input(image_shape)], name="dcgan64_discriminator")
    for filters in (64, 128, 256, 512):
        model.add(Conv2D(filters, 4, strides=2, padding="same"))
        model.add(_lrelu())
    model.add(layers.Flatten())
    model.add(layers.Dense(1))
    return model


# ------------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class ModelSpec:
    """A named generator/discriminator pair and the shapes it was designed for."""

    generator: Callable
    discriminator: Callable
    latent_dim: int
    image_shape: tuple
    conditional: bool
    seed: str
    batch_size: int

    def build(self, latent_dim=None, image_shape=None):
        """(generator, discriminator) built for this pair's (or the given) shapes."""
        latent_dim = latent_dim if latent_dim is not None else self.latent_dim
        image_shape = tuple(image_shape or self.image_shape)
        return self.generator(latent_dim, image_shape), self.discriminator(image_shape)


MODELS = {
    "mlp": ModelSpec(mlp_generator, mlp_discriminator, 100, (28, 28, 1), False, "002 GAN", 64),
    "dcgan_upsample": ModelSpec(dcgan_upsample_generator, dcgan_upsample_discriminator, 100,
                                (28, 28, 1), False, "002 DCGAN", 64),
    "dcgan_transpose": ModelSpec(dcgan_transpose_generator, dcgan_transpose_discriminator, 100,
                                 (28, 28, 1), False, "004", 128),
    "cgan_mlp": ModelSpec(cgan_mlp_generator, cgan_mlp_discriminator, 100, (28, 28, 1), True,
                          "002 CGAN", 64),
    "dcgan32": ModelSpec(dcgan32_generator, dcgan32_discriminator, 100, (32, 32, 3), False,
                         "000", 128),
    "maxpool32": ModelSpec(dcgan32_generator, maxpool32_discriminator, 200, (32, 32, 3), False,
                           "003", 128),
    "dcgan64": ModelSpec(dcgan64_generator, dcgan64_discriminator, 128, (64, 64, 3), False,
                         "001 (Pokemon)", 64),
}


def get(name: str) -> ModelSpec:
    """The ModelSpec called `name`; an unknown name lists the valid ones."""
    check_choice("model", name, tuple(MODELS))
    return MODELS[name]
