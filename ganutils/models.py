"""Generator and discriminator builders, each following one of the student writeups the
course grew from (`WRITEUPS`: each cited by its title and, where it gives one, its repository).

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

from . import fastgan
from .errors import check_choice


def _lrelu():
    return layers.LeakyReLU(negative_slope=0.2)


# ------------------------------------------- 28x28: the MLP GAN of "Image Generation with GAN"
def mlp_generator(latent_dim=100, image_shape=(28, 28, 1)):
    """The MLP generator of "Image Generation with GAN": Dense 256-512-1024, LeakyReLU 0.2 then BatchNorm (momentum 0.8)."""
    model = keras.Sequential([keras.Input((latent_dim,))], name="mlp_generator")
    for units in (256, 512, 1024):
        model.add(layers.Dense(units))
        model.add(_lrelu())
        model.add(layers.BatchNormalization(momentum=0.8))
    model.add(layers.Dense(int(np.prod(image_shape)), activation="tanh"))
    model.add(layers.Reshape(image_shape))
    return model


def mlp_discriminator(image_shape=(28, 28, 1)):
    """The MLP discriminator of "Image Generation with GAN": Flatten, Dense 512-256 with LeakyReLU 0.2, one logit."""
    return keras.Sequential([
        keras.Input(image_shape), layers.Flatten(),
        layers.Dense(512), _lrelu(), layers.Dense(256), _lrelu(), layers.Dense(1),
    ], name="mlp_discriminator")


# ---------------------------- 28x28: the DCGAN of "Image Generation with GAN" (upsample + conv)
def dcgan_upsample_generator(latent_dim=100, image_shape=(28, 28, 1)):
    """The DCGAN generator of "Image Generation with GAN": Dense to 7x7x128, two (UpSampling, Conv 3x3, BN, ReLU), tanh conv."""
    model = keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 128, activation="relu"), layers.Reshape((7, 7, 128)),
    ], name="dcgan_upsample_generator")
    for filters in (128, 64):
        model.add(layers.UpSampling2D())
        model.add(layers.Conv2D(filters, 3, padding="same"))
        model.add(layers.BatchNormalization(momentum=0.8))
        model.add(layers.Activation("relu"))
    model.add(layers.Conv2D(image_shape[-1], 3, padding="same", activation="tanh"))
    return model


def dcgan_upsample_discriminator(image_shape=(28, 28, 1)):
    """The DCGAN discriminator of "Image Generation with GAN": strided 3x3 convs 32-64-128-256, BN, LeakyReLU, dropout 0.25."""
    return keras.Sequential([
        keras.Input(image_shape),
        layers.Conv2D(32, 3, strides=2, padding="same"), _lrelu(), layers.Dropout(0.25),
        layers.Conv2D(64, 3, strides=2, padding="same"),
        layers.ZeroPadding2D(((0, 1), (0, 1))),
        layers.BatchNormalization(momentum=0.8), _lrelu(), layers.Dropout(0.25),
        layers.Conv2D(128, 3, strides=2, padding="same"),
        layers.BatchNormalization(momentum=0.8), _lrelu(), layers.Dropout(0.25),
        layers.Conv2D(256, 3, strides=1, padding="same"),
        layers.BatchNormalization(momentum=0.8), _lrelu(), layers.Dropout(0.25),
        layers.Flatten(), layers.Dense(1),
    ], name="dcgan_upsample_discriminator")


# ------------------------------------------------ 28x28: the DCGAN of "GANs" (conv-transpose)
def dcgan_transpose_generator(latent_dim=100, image_shape=(28, 28, 1)):
    """The generator of "GANs" (meng1994412), layer for layer as its Table 1 (1,727,233 parameters at latent 100):
    Dense 512 + ReLU + BN, Dense 7*7*64 + ReLU + BN, ConvT 32 5x5/2 + ReLU + BN, ConvT 1 5x5/2, tanh.
    """
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(512), layers.Activation("relu"), layers.BatchNormalization(),
        layers.Dense(7 * 7 * 64), layers.Activation("relu"), layers.BatchNormalization(),
        layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(32, 5, strides=2, padding="same"),
        layers.Activation("relu"), layers.BatchNormalization(),
        layers.Conv2DTranspose(image_shape[-1], 5, strides=2, padding="same"),
        layers.Activation("tanh"),
    ], name="dcgan_transpose_generator")


def dcgan_transpose_discriminator(image_shape=(28, 28, 1)):
    """The discriminator of "GANs" (meng1994412): Conv 32 and 64 5x5/2 with LeakyReLU 0.2, Dense 512."""
    return keras.Sequential([
        keras.Input(image_shape),
        layers.Conv2D(32, 5, strides=2, padding="same"), _lrelu(),
        layers.Conv2D(64, 5, strides=2, padding="same"), _lrelu(),
        layers.Flatten(), layers.Dense(512), _lrelu(), layers.Dense(1),
    ], name="dcgan_transpose_discriminator")


# --------------------------- 28x28: the conditional GAN of "Image Generation with GAN"
def cgan_mlp_generator(latent_dim=100, image_shape=(28, 28, 1), num_classes=10):
    """The conditional generator of "Image Generation with GAN": a label embedding (size
    latent_dim) multiplied into the noise, then the MLP generator above."""
    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")
    embed = layers.Flatten()(layers.Embedding(num_classes, latent_dim, name="label_embedding")(label))
    body = mlp_generator(latent_dim, image_shape)  # last layer: sampling.blend_labels uses it
    return keras.Model([noise, label], body(layers.Multiply()([noise, embed])),
                       name="cgan_mlp_generator")


def cgan_mlp_discriminator(image_shape=(28, 28, 1), num_classes=10):
    """Its conditional discriminator: a label embedding (size H*W*C) multiplied into the flat
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


# ------------------------------------------- 32x32: the two CIFAR-10 writeups
def dcgan32_generator(latent_dim=100, image_shape=(32, 32, 3)):
    """The generator of "Apply GAN Model to Dog and Cat images from CIFAR-10 dataset": Dense
    to 4x4x256, three ConvT 128 4x4/2 with LeakyReLU 0.2, a 3x3 conv to the image's
    channels, tanh. "GenerativeAdversarialNetwork" uses it with latent_dim=200."""
    model = keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(4 * 4 * 256), _lrelu(), layers.Reshape((4, 4, 256)),
    ], name="dcgan32_generator")
    for _ in range(3):
        model.add(layers.Conv2DTranspose(128, 4, strides=2, padding="same"))
        model.add(_lrelu())
    model.add(layers.Conv2D(image_shape[-1], 3, padding="same", activation="tanh"))
    return model


def dcgan32_discriminator(image_shape=(32, 32, 3)):
    """The discriminator of the dog and cat writeup: 3x3 conv 64, then 3x3/2 convs 128-128-256, LeakyReLU 0.2,
    dropout 0.4 before the logit."""
    return keras.Sequential([
        keras.Input(image_shape),
        layers.Conv2D(64, 3, padding="same"), _lrelu(),
        layers.Conv2D(128, 3, strides=2, padding="same"), _lrelu(),
        layers.Conv2D(128, 3, strides=2, padding="same"), _lrelu(),
        layers.Conv2D(256, 3, strides=2, padding="same"), _lrelu(),
        layers.Flatten(), layers.Dropout(0.4), layers.Dense(1),
    ], name="dcgan32_discriminator")


def dcgan32_bn_generator(latent_dim=100, image_shape=(32, 32, 3)):
    """DCGAN's generator (Radford et al.) at 32x32, as SN-GAN's CIFAR-10 baseline: the body
    below to 32x32x64, then a 3x3 conv to RGB, tanh. Against the dog and cat writeup's
    generator: batch norm, and channels halving as the image doubles."""
    model = _dcgan_body(latent_dim, "dcgan32_bn_generator")
    model.add(layers.Conv2D(image_shape[-1], 3, padding="same", activation="tanh"))
    return model


def _dcgan_body(latent_dim, name):
    """DCGAN's generator body: Dense to 4x4x512, then ConvT 256-128-64 4x4/2, each with
    batch norm and ReLU (32x32x64 out)."""
    model = keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(4 * 4 * 512, use_bias=False), layers.Reshape((4, 4, 512)),
        layers.BatchNormalization(), layers.Activation("relu"),
    ], name=name)
    for filters in (256, 128, 64):
        model.add(layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False))
        model.add(layers.BatchNormalization())
        model.add(layers.Activation("relu"))
    return model


def spectral_normalized(discriminator):
    """A copy of `discriminator` with every convolution and dense layer wrapped in
    `keras.layers.SpectralNormalization` (Miyato et al. 2018): each layer's largest singular
    value held at 1, so D cannot sharpen its verdicts without bound."""
    def wrap(layer):
        clone = layer.__class__.from_config(layer.get_config())
        if isinstance(layer, (layers.Conv2D, layers.Dense)):
            return layers.SpectralNormalization(clone, name=f"sn_{layer.name}")
        return clone
    return keras.models.clone_model(discriminator, clone_function=wrap)


def maxpool32_discriminator(image_shape=(32, 32, 3), widths=(64, 128, 128, 256)):
    """The discriminator of "GenerativeAdversarialNetwork": four 3x3 convs (`widths` filters)
    with three 2x2 max-pools between them, LeakyReLU 0.2, dropout 0.4 before the logit."""
    model = keras.Sequential([keras.Input(image_shape)], name="maxpool32_discriminator")
    for i, filters in enumerate(widths):
        model.add(layers.Conv2D(filters, 3, padding="same"))
        model.add(_lrelu())
        if i < 3:
            model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dropout(0.4))
    model.add(layers.Dense(1))
    return model


def cgan32_generator(latent_dim=200, image_shape=(32, 32, 3), num_classes=10):
    """The CIFAR-10 writeup's generator (`dcgan32_generator`) asked for a class: a learned
    50-value embedding of the label concatenated to the noise, as Machine Learning Mastery's
    conditional GAN tutorial does. With ten classes in one network an unconditional
    generator is free to draw in-between scenes no one can name; asked for "horse", it must
    draw something the discriminator accepts as a horse."""
    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")
    embed = layers.Flatten()(layers.Embedding(num_classes, 50, name="label_embedding")(label))
    body = dcgan32_generator(latent_dim + 50, image_shape)
    return keras.Model([noise, label], body(layers.Concatenate()([noise, embed])),
                       name="cgan32_generator")


def cgan32_discriminator(image_shape=(32, 32, 3), num_classes=10, widths=(64, 128, 128, 256)):
    """`maxpool32_discriminator` with a projection head (Miyato & Koyama 2018, "cGANs with
    Projection Discriminator"): the logit is the unconditional one plus the inner product of
    the image's features with a learned vector for its label, so the label asks "is this a
    real image *of this class*?" without being mixed into the pixels."""
    image = keras.Input(image_shape, name="image")
    label = keras.Input((1,), dtype="int32", name="label")
    body = maxpool32_discriminator(image_shape, widths)
    features = keras.Sequential(body.layers[:-1], name="features")(image)  # all but the logit
    unconditional = body.layers[-1](features)
    embed = layers.Flatten()(layers.Embedding(num_classes, features.shape[-1], name="projection")(label))
    projection = layers.Dot(axes=1)([features, embed])
    return keras.Model([image, label], layers.Add()([unconditional, projection]),
                       name="cgan32_discriminator")


# ------------------------------------------------------------------------ 64x64 image folders
def dcgan64_generator(latent_dim=128, image_shape=(64, 64, 3)):
    """DCGAN (Radford et al.) for 64x64 folders such as the Pokemon of
    "GANs-Pokemons-NaturalImages": the DCGAN body to 32x32x64, a last ConvT to RGB, tanh."""
    model = _dcgan_body(latent_dim, "dcgan64_generator")
    model.add(layers.Conv2DTranspose(image_shape[-1], 4, strides=2, padding="same", activation="tanh"))
    return model


def dcgan64_resize_generator(latent_dim=128, image_shape=(64, 64, 3)):
    """dcgan64's generator with every 4x4 stride-2 transposed convolution replaced by a
    nearest-neighbour doubling and a 3x3 convolution (Odena et al. 2016, "Deconvolution and
    Checkerboard Artifacts"): the same nine weights then make every output pixel, where a
    transposed convolution makes the four pixels of each 2x2 block with four different parts
    of its kernel, which draws a grid pattern unless they learn to agree."""
    model = keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(4 * 4 * 512, use_bias=False), layers.Reshape((4, 4, 512)),
        layers.BatchNormalization(), layers.Activation("relu"),
    ], name="dcgan64_resize_generator")
    for filters in (256, 128, 64):
        model.add(layers.UpSampling2D())
        model.add(layers.Conv2D(filters, 3, padding="same", use_bias=False))
        model.add(layers.BatchNormalization())
        model.add(layers.Activation("relu"))
    model.add(layers.UpSampling2D())
    model.add(layers.Conv2D(image_shape[-1], 3, padding="same", activation="tanh"))
    return model


def dcgan64_discriminator(image_shape=(64, 64, 3)):
    """DCGAN discriminator for 64x64: 4x4/2 convs 64-128-256-512, LeakyReLU 0.2, one logit."""
    model = keras.Sequential([keras.Input(image_shape)], name="dcgan64_discriminator")
    for filters in (64, 128, 256, 512):
        model.add(layers.Conv2D(filters, 4, strides=2, padding="same"))
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
    source: str  # the writeup it follows (a key of WRITEUPS)
    batch_size: int
    decoders: Callable | None = None  # FastGAN: decoders of the discriminator's features

    def build(self, latent_dim=None, image_shape=None, num_classes=10):
        """(generator, discriminator) built for this pair's (or the given) shapes; a
        conditional pair for `num_classes` labels."""
        latent_dim = latent_dim if latent_dim is not None else self.latent_dim
        image_shape = tuple(image_shape or self.image_shape)
        if self.conditional:
            return (self.generator(latent_dim, image_shape, num_classes),
                    self.discriminator(image_shape, num_classes))
        return self.generator(latent_dim, image_shape), self.discriminator(image_shape)


WRITEUPS = {
    "cifar_dog_cat": '"Apply GAN Model to Dog and Cat images from CIFAR-10 dataset" (a student '
                     "writeup following Machine Learning Mastery's CIFAR-10 GAN tutorial)",
    "pokemon": '"GANs-Pokemons-NaturalImages", sabdulm/GANs-Pokemons-NaturalImages on GitHub',
    "mnist": '"Image Generation with GAN", XiaosongWen/DS504CS586-S20 on GitHub',
    "cifar10": '"GenerativeAdversarialNetwork" (a CIFAR-10 writeup)',
    "mnist_dcgan": '"GANs", meng1994412/GANs on GitHub',
}

MODELS = {
    "mlp": ModelSpec(mlp_generator, mlp_discriminator, 100, (28, 28, 1), False, "mnist", 64),
    "dcgan_upsample": ModelSpec(dcgan_upsample_generator, dcgan_upsample_discriminator, 100,
                                (28, 28, 1), False, "mnist", 64),
    "dcgan_transpose": ModelSpec(dcgan_transpose_generator, dcgan_transpose_discriminator, 100,
                                 (28, 28, 1), False, "mnist_dcgan", 128),
    "cgan_mlp": ModelSpec(cgan_mlp_generator, cgan_mlp_discriminator, 100, (28, 28, 1), True,
                          "mnist", 64),
    "dcgan32": ModelSpec(dcgan32_generator, dcgan32_discriminator, 100, (32, 32, 3), False,
                         "cifar_dog_cat", 128),
    "dcgan32_bn": ModelSpec(dcgan32_bn_generator, dcgan32_discriminator, 100, (32, 32, 3), False,
                            "cifar_dog_cat", 128),
    "maxpool32": ModelSpec(dcgan32_generator, maxpool32_discriminator, 200, (32, 32, 3), False,
                           "cifar10", 128),
    "cgan32": ModelSpec(cgan32_generator, cgan32_discriminator, 200, (32, 32, 3), True,
                        "cifar10", 128),
    "dcgan64": ModelSpec(dcgan64_generator, dcgan64_discriminator, 128, (64, 64, 3), False,
                         "pokemon", 64),
    "dcgan64_resize": ModelSpec(dcgan64_resize_generator, dcgan64_discriminator, 128, (64, 64, 3),
                                False, "pokemon", 64),
    "fastgan64": ModelSpec(fastgan.fastgan64_generator, fastgan.fastgan64_discriminator, 256,
                           (64, 64, 3), False, "pokemon", 32, fastgan.fastgan64_decoders),
}


def get(name: str) -> ModelSpec:
    """The ModelSpec called `name`; an unknown name lists the valid ones."""
    check_choice("model", name, tuple(MODELS))
    return MODELS[name]
