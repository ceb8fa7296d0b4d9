"""The XLA-on-CPU workarounds as a separate step: `accelerated` swaps them into a network
for training, `plain` swaps Keras's own layers back for saving.

The builders in `models` use Keras's layers only, so what a notebook shows and what a file
holds is plain Keras. The layers of `phase_conv` and `xla` compute the same thing faster
where a TensorFlow run compiles its step with XLA on a CPU; `runs.build_gan` applies
`accelerated` there (TensorFlow, XLA on, no GPU visible), and `checkpoint.save_generator` saves `plain` copies.
"""

from __future__ import annotations

import keras
from keras import layers

from .phase_conv import PhaseConv2D, PhaseConv2DTranspose
from .xla import TiledMaxPooling2D


def _swap(model, classes: dict):
    """A copy of `model` (same weights) with each layer of a class in `classes` rebuilt as
    the class it maps to, from the same configuration; `model` itself if there is none."""
    def found(m):
        return any(type(l) in classes or (isinstance(l, keras.Model) and found(l))
                   for l in m.layers)

    if not found(model):
        return model

    def rebuild(layer):
        if isinstance(layer, keras.Model):
            return _swap(layer, classes)
        return classes.get(type(layer), type(layer)).from_config(layer.get_config())

    copy = keras.models.clone_model(model, clone_function=rebuild)
    copy.set_weights(model.get_weights())
    return copy


FASTER = {layers.Conv2D: PhaseConv2D, layers.Conv2DTranspose: PhaseConv2DTranspose,
          layers.MaxPooling2D: TiledMaxPooling2D}


def accelerated(model):
    """`model` with the layers that XLA computes slowly on a CPU replaced by the subclasses
    of `phase_conv` and `xla` (same configuration, weights and outputs). Applied only to a
    TensorFlow run that compiles with XLA; what is saved is `plain` again."""
    return _swap(model, FASTER)


def plain(model):
    """`model` built from Keras's own layers only: what every saved file holds."""
    return _swap(model, {fast: keras_cls for keras_cls, fast in FASTER.items()})
