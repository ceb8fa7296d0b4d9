"""FastGAN at 64x64 (Liu et al. 2021, "Towards Faster and Stabilized GAN Training for
High-fidelity Few-shot Image Synthesis"): a design for about a thousand images.

Two ideas, each a few lines below:

* **Skip-layer excitation** (`excite`) in the generator: a low-resolution feature map is
  squeezed to one number per channel of a high-resolution one, and those numbers (between
  0 and 1) scale its channels. The coarse layout (where the body is) then gates the fine
  detail (which textures are switched on), with a path for the gradient that skips the
  layers between.
* **A discriminator that must also rebuild its input** (`training.FastGAN.real_scores`): small
  decoders turn the discriminator's features of each real image back into the image (all
  of it, at half size, from the 8x8 features; a random quarter, at full size, from that
  quarter of the 16x16 features). Features that keep what the image looks like cannot
  shrink to the few marks that tell the training pictures apart, which is how a
  discriminator memorises a small set.

The paper measures the reconstruction with LPIPS, a distance between the features of a
network pretrained on ImageNet. No pretrained weights can be downloaded here, and the one
network we have (our CIFAR-10 classifier) is also the one that measures KID, so training
through it would teach to the test: the reconstruction is measured by mean squared error
of the pixels instead.

Everything is built from Keras's own layers (the gated linear unit as a convolution for
each half and a `Multiply`), so the saved generator loads with plain Keras. Left out of the
paper's networks, to keep the step small on a CPU: the noise injected in the generator,
spectral normalisation of the generator, the discriminator's second branch on a smaller
copy of the image, and the random margins of its hinge loss.
"""

from __future__ import annotations

import keras
from keras import layers, ops


# Channels at each resolution; the generator's are those of the paper's ngf=16.
G_CHANNELS = {4: 256, 8: 128, 16: 64, 32: 32, 64: 32}
D_CHANNELS = {32: 64, 16: 128, 8: 256}
DECODER_CHANNELS = (64, 32)  # at 16x16 and at 32x32


def glu_conv(x, channels, kernel=3, conv=layers.Conv2D, padding="same"):
    """A convolution followed by a gated linear unit (Dauphin et al. 2017): one half of the
    output, times the sigmoid of the other. Two convolutions and a Multiply here, the same
    arithmetic as the paper's one convolution to twice the channels and `GLU`."""
    value = conv(channels, kernel, padding=padding, use_bias=False)(x)
    gate = conv(channels, kernel, padding=padding, use_bias=False)(x)
    value, gate = layers.BatchNormalization()(value), layers.BatchNormalization()(gate)
    return layers.Multiply()([value, layers.Activation("sigmoid")(gate)])


def up_block(x, channels, convs=1):
    """Double the size (nearest neighbour, no checkerboard), then `convs` gated convolutions."""
    x = layers.UpSampling2D()(x)
    for _ in range(convs):
        x = glu_conv(x, channels)
    return x


def excite(small, big):
    """Skip-layer excitation: `small` (4x4 or 8x8) squeezed to one gate per channel of `big`."""
    s = layers.AveragePooling2D(small.shape[1] // 4)(small) if small.shape[1] > 4 else small
    s = layers.Conv2D(big.shape[-1], 4, padding="valid", use_bias=False)(s)  # 4x4 -> 1x1
    s = layers.Activation("silu")(s)
    s = layers.Conv2D(big.shape[-1], 1, use_bias=False, activation="sigmoid")(s)
    return layers.Multiply()([big, s])  # the (1, 1, C) gates scale every pixel's channels


def fastgan64_generator(latent_dim=256, image_shape=(64, 64, 3)):
    """4x4 from the noise, then up to 64x64; the 4x4 features gate the 32x32 ones and the
    8x8 features the 64x64 ones."""
    c = G_CHANNELS
    noise = keras.Input((latent_dim,), name="noise")
    x = layers.Reshape((1, 1, latent_dim))(noise)
    f4 = glu_conv(x, c[4], 4, conv=layers.Conv2DTranspose, padding="valid")  # 1x1 -> 4x4
    f8 = up_block(f4, c[8], convs=2)
    f16 = up_block(f8, c[16])
    f32 = excite(f4, up_block(f16, c[32], convs=2))
    f64 = excite(f8, up_block(f32, c[64]))
    image = layers.Conv2D(image_shape[-1], 3, padding="same", activation="tanh")(f64)
    return keras.Model(noise, image, name="fastgan64_generator")


def _sn_conv(channels, kernel, strides=1, padding="same"):
    return layers.SpectralNormalization(
        layers.Conv2D(channels, kernel, strides=strides, padding=padding, use_bias=False))


def _lrelu(x):
    return layers.LeakyReLU(negative_slope=0.2)(x)


def down_block(x, channels):
    """Halve the size two ways and average them: a strided 4x4 then a 3x3 convolution, and
    an average pool with a 1x1 convolution (a shortcut the gradient passes easily)."""
    main = _lrelu(layers.BatchNormalization()(_sn_conv(channels, 4, strides=2)(x)))
    main = _lrelu(layers.BatchNormalization()(_sn_conv(channels, 3)(main)))
    short = _lrelu(layers.BatchNormalization()(_sn_conv(channels, 1)(layers.AveragePooling2D(2)(x))))
    return layers.Average()([main, short])


def fastgan64_discriminator(image_shape=(64, 64, 3)):
    """64 -> 32 -> 16 -> 8, the 32x32 features gating the 8x8 ones, then a 5x5 map of
    logits (each judges a patch). Also returns its 8x8 and 16x16 features, which the
    decoders rebuild the image from (`training.FastGAN.real_scores`); spectral normalisation on
    every convolution, as the paper."""
    c = D_CHANNELS
    image = keras.Input(image_shape, name="image")
    f32 = _lrelu(_sn_conv(c[32], 4, strides=2)(image))
    f16 = down_block(f32, c[16])
    f8 = excite(f32, down_block(f16, c[8]))
    x = _lrelu(layers.BatchNormalization()(_sn_conv(c[8], 1)(f8)))
    logits = _sn_conv(1, 4, padding="valid")(x)
    return keras.Model(image, [logits, f8, f16], name="fastgan64_discriminator")


def fastgan64_decoders(discriminator):
    """Two decoders from 8x8 features to a 32x32 image: one for the discriminator's whole
    8x8 map, one for a quarter of its 16x16 map. Each: two (double, gated 3x3 convolution)
    and a 3x3 convolution to RGB."""
    def decoder(channels_in, name):
        features = keras.Input((8, 8, channels_in))
        x = features
        for channels in DECODER_CHANNELS:
            x = up_block(x, channels)
        rgb = layers.Conv2D(3, 3, padding="same", activation="tanh")(x)
        return keras.Model(features, rgb, name=name)

    f8, f16 = discriminator.outputs[1:]
    return decoder(f8.shape[-1], "decode_whole"), decoder(f16.shape[-1], "decode_quarter")


def quarters(x):
    """(B, H, W, C) -> (B, 4, H/2, W/2, C): top-left, top-right, bottom-left, bottom-right."""
    h, w = x.shape[1] // 2, x.shape[2] // 2
    return ops.stack([x[:, :h, :w], x[:, :h, w:], x[:, h:, :w], x[:, h:, w:]], axis=1)


def pick(stacked, which):
    """For each image b, stacked[b, which[b]]."""
    onehot = ops.one_hot(which, 4, dtype=stacked.dtype)[:, :, None, None, None]
    return ops.sum(stacked * onehot, axis=1)
