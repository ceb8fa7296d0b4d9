"""Differentiable augmentation of the discriminator's input (DiffAugment, Zhao et al. 2020).

With a few thousand images the discriminator memorises the training set within a few dozen
epochs; its verdicts then stop carrying information the generator can use, and the
generator collapses or produces noise (the Pokemon run of "GANs-Pokemons-NaturalImages").
DiffAugment shows the discriminator randomly recoloured, shifted and cut-out versions of *both* real and fake
images, in the loss of both players. Because every transform is differentiable, the
generator's gradient flows back through it; because fakes are augmented the same way as
reals, the generator is not pushed to produce augmented-looking images.

Written with `keras.ops` and `keras.random` only, so it runs on the TensorFlow and JAX
backends alike. Images are NHWC in [-1, 1].
"""

from __future__ import annotations

import keras
from keras import ops

from .errors import ConfigError

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy) -> tuple:
    """`"color,translation,cutout"` (or `"diffaugment"` for all three, None/"" for none) as
    a tuple of transform names; a ConfigError names any unknown one."""
    if not policy:
        return ()
    if not isinstance(policy, str):
        raise ConfigError(f"augment must be a string such as 'color,translation,cutout', got {policy!r}")
    if policy.strip() == "diffaugment":
        return POLICIES
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ConfigError(f"unknown augmentation {', '.join(unknown)}: choose from "
                          f"{', '.join(POLICIES)} (comma-separated), or 'diffaugment' for all")
    return names


def _uniform(batch, seed):
    return keras.random.uniform((batch, 1, 1, 1), seed=seed)


def color(x, seed):
    """Random brightness (+-0.5), saturation (x0..2) and contrast (x0.5..1.5) per image."""
    b = ops.shape(x)[0]
    x = x + (_uniform(b, seed) - 0.5)
    mean = ops.mean(x, axis=3, keepdims=True)
    x = (x - mean) * (_uniform(b, seed) * 2.0) + mean
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - mean) * (_uniform(b, seed) + 0.5) + mean


def _shift_matrix(shift, size):
    """(batch, size, size) 0/1 matrices M with (M @ v)[i] = v[i - shift], zero off the edge."""
    target = ops.arange(size)[None, :] - shift  # (batch, size): source row of each output row
    return ops.one_hot(target, size)  # an out-of-range index gives a zero row: zero padding


def translation(x, seed, ratio: float = 0.125):
    """Shift each image by up to `ratio` of its size in each direction, padding with 0."""
    b, h, w = ops.shape(x)[0], x.shape[1], x.shape[2]
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = keras.random.randint((b, 1), -sy, sy + 1, seed=seed)
    tx = keras.random.randint((b, 1), -sx, sx + 1, seed=seed)
    rows, cols = _shift_matrix(ty, h), _shift_matrix(tx, w)
    x = ops.einsum("bij,bjwc->biwc", ops.cast(rows, x.dtype), x)
    return ops.einsum("bkj,bhjc->bhkc", ops.cast(cols, x.dtype), x)


def cutout(x, seed, ratio: float = 0.5):
    """Zero one square of `ratio` times the image size per image, at a random centre."""
    b, h, w = ops.shape(x)[0], x.shape[1], x.shape[2]
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = keras.random.randint((b, 1), 0, h + (1 - ch % 2), seed=seed)
    cx = keras.random.randint((b, 1), 0, w + (1 - cw % 2), seed=seed)
    ys, xs = ops.arange(h)[None, :], ops.arange(w)[None, :]
    in_y = ops.logical_and(ys >= cy - ch // 2, ys < cy - ch // 2 + ch)
    in_x = ops.logical_and(xs >= cx - cw // 2, xs < cx - cw // 2 + cw)
    hole = ops.logical_and(in_y[:, :, None], in_x[:, None, :])
    return x * ops.cast(ops.logical_not(hole), x.dtype)[..., None]


TRANSFORMS = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x, seed, policy=POLICIES):
    """Apply the transforms of `policy`, in order, with fresh randomness from `seed` (a
    `keras.random.SeedGenerator`, part of the model's state)."""
    for name in policy:
        x = TRANSFORMS[name](x, seed)
    return x
