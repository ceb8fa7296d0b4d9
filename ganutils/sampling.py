"""Loading a saved generator and drawing images from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ConfigError, DataNotFoundError


def load_generator(path):
    """Load a generator saved as `.keras`; a clear error for anything that is not one."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"generator file {path} does not exist: give the path of a "
                                "generator.keras written by a training run")
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:  # zip, JSON or layer errors all mean the same to the user
        raise ConfigError(f"{path} is not a Keras model file ({type(exc).__name__}): give the "
                          "generator.keras a training run wrote") from None
    shapes = [tuple(i.shape) for i in model.inputs]
    out = tuple(model.outputs[0].shape)
    if len(out) != 4 or len(shapes) not in (1, 2) or len(shapes[0]) != 2:
        raise ConfigError(f"{path} holds a model with inputs {shapes} and output {out}, not a "
                          "generator (noise in, images out): did you pass a discriminator "
                          "or a classifier?")
    return model


def num_classes(generator) -> int | None:
    """How many labels a conditional generator knows (its embedding's size), else None."""
    import keras

    if len(generator.inputs) != 2:
        return None
    for layer in generator._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Embedding):
            return int(layer.input_dim)
    raise ConfigError(f"{generator.name} takes two inputs but has no label embedding")


def sample(generator, n: int, seed: int = 0, labels=None, batch_size: int = 500):
    """`n` images in [-1, 1] (float32, N x H x W x C) and, for a conditional generator, the
    labels used: by default balanced over the classes (0, 1, ..., K-1, 0, 1, ...)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n must be a positive integer, got {n!r}")
    k = num_classes(generator)
    latent = int(generator.inputs[0].shape[-1])
    noise = np.random.default_rng(seed).standard_normal((n, latent)).astype("float32")
    if k is None:
        if labels is not None:
            raise ConfigError("this generator is unconditional: do not pass labels")
    else:
        labels = np.arange(n) % k if labels is None else np.asarray(labels).reshape(-1)
        if labels.shape != (n,) or labels.min() < 0 or labels.max() >= k:
            raise ConfigError(f"labels must be {n} integers in 0..{k - 1}")
        labels = labels.astype("int32")
    out = []
    for i in range(0, n, batch_size):
        z = noise[i:i + batch_size]
        inputs = z if k is None else [z, labels[i:i + batch_size].reshape(-1, 1)]
        out.append(np.asarray(generator(inputs, training=False), np.float32))
    images = np.clip(np.concatenate(out), -1.0, 1.0)
    return images, labels


def interpolate_noise(generator, steps: int = 10, seed: int = 0, labels=None):
    """Images along a straight line between two noise vectors, `steps` per row.

    Unconditional: one row. Conditional: one row per label in `labels` (default every class),
    all rows walking the same line, so a column shares its noise: the noise carries the style
    (slant, stroke width), the label the class.
    """
    latent = int(generator.inputs[0].shape[-1])
    ends = np.random.default_rng(seed).standard_normal((2, latent)).astype("float32")
    t = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
    line = (1 - t) * ends[0] + t * ends[1]
    k = num_classes(generator)
    if k is None:
        return np.asarray(generator(line, training=False))
    labels = np.arange(k) if labels is None else np.asarray(labels)
    noise = np.tile(line, (len(labels), 1))
    rows = np.repeat(labels, steps).reshape(-1, 1).astype("int32")
    return np.asarray(generator([noise, rows], training=False))


def blend_labels(generator, pairs, steps: int = 10, seed: int = 0):
    """For each (a, b) in `pairs`, one row of `steps` images from a fixed noise vector while
    the label embedding moves linearly from class a's to class b's.

    Works for generators built like `models.cgan_mlp_generator`: a label Embedding whose
    vector multiplies the noise, then the body (the last layer).
    """
    import keras

    found = [layer for layer in generator.layers if isinstance(layer, keras.layers.Embedding)]
    if len(found) != 1 or not any(isinstance(layer, keras.layers.Multiply) for layer in generator.layers):
        raise ConfigError(f"{generator.name} does not multiply a label embedding into the noise: "
                          "label blending needs a generator built like models.cgan_mlp_generator")
    table = keras.ops.convert_to_numpy(found[0].embeddings)
    body = generator.layers[-1]
    latent = int(generator.inputs[0].shape[-1])
    z = np.random.default_rng(seed).standard_normal((1, latent)).astype("float32")
    t = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
    rows = [z * ((1 - t) * table[a] + t * table[b]) for a, b in pairs]
    return np.asarray(body(keras.ops.convert_to_tensor(np.concatenate(rows)), training=False))
