"""Domain classifiers: the feature space for FID/KID and the judge of generated labels.

The standard FID uses InceptionV3 trained on ImageNet, whose weights must be downloaded.
Where they can't be (these machines) and for 28x28 digits, which ImageNet features
describe poorly, we use small CNNs trained on each dataset's training split. Their
penultimate layer (`features`, 128 numbers) is the space FID and KID are computed in;
their logits say which class a generated image shows. The weights are committed under
`ganutils/weights/` and trained by `scripts/train_classifiers.py`.

Scores in this space are comparable with each other, not with published FIDs.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers

from . import datasets
from .errors import check_choice

WEIGHTS = Path(__file__).resolve().parent / "weights"
WIDTH = {"mnist": 32, "fashion_mnist": 48, "cifar10": 64}


def build_classifier(dataset: str) -> keras.Model:
    """A VGG-style CNN: three stages of two 3x3 conv+BN+ReLU and a 2x2 max-pool, global
    average pooling, a 128-unit `features` layer, ten logits. (Training augments the data in
    NumPy, see `shift_and_flip`: Keras's RandomTranslation ran 40x slower than the whole
    network on Keras's JAX backend.)"""
    check_choice("dataset", dataset, datasets.CLASSIFIED)
    shape, w = datasets.get(dataset).shape(), WIDTH[dataset]
    x = inputs = keras.Input(shape, name="image")  # in [-1, 1], like the generators' output
    for i, filters in enumerate((w, 2 * w, 4 * w)):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Dropout(0.1 * (i + 1))(x)
    x = layers.GlobalAveragePooling2D()(x)
    features = layers.Dense(128, activation="relu", name="features")(x)
    logits = layers.Dense(10, name="logits")(layers.Dropout(0.3)(features))
    return keras.Model(inputs, logits, name=f"{dataset}_classifier")


def shift_and_flip(images, max_shift: int, flip: bool, rng) -> np.ndarray:
    """Each image shifted by up to `max_shift` pixels each way (the border filled with -1,
    black), and mirrored left-right with probability 1/2 if `flip`."""
    n, h, w, _ = images.shape
    m = max_shift
    padded = np.pad(images, ((0, 0), (m, m), (m, m), (0, 0)), constant_values=-1.0)
    rows = rng.integers(0, 2 * m + 1, n)[:, None] + np.arange(h)
    cols = rng.integers(0, 2 * m + 1, n)[:, None] + np.arange(w)
    if flip:
        mirror = rng.random(n) < 0.5
        cols[mirror] = cols[mirror][:, ::-1]
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def weights_path(dataset: str) -> Path:
    return WEIGHTS / f"{dataset}_classifier.weights.h5"


class Classifier:
    """A trained domain classifier: `features(images)` and `predict(images)` on [-1, 1] images."""

    def __init__(self, dataset: str):
        check_choice("dataset", dataset, datasets.CLASSIFIED)
        path = weights_path(dataset)
        if not path.exists():
            raise FileNotFoundError(f"no classifier weights at {path}: run "
                                    f"`python scripts/train_classifiers.py {dataset}`")
        self.dataset = dataset
        self.model = build_classifier(dataset)
        self.model.load_weights(path)
        self._both = keras.Model(self.model.inputs,
                                 [self.model.get_layer("features").output, self.model.output])

    def _run(self, images, batch_size=1000):
        images = np.asarray(images, np.float32)
        outs = [self._both.predict_on_batch(images[i:i + batch_size])
                for i in range(0, len(images), batch_size)]
        return (np.concatenate([np.asarray(o[0]) for o in outs]),
                np.concatenate([np.asarray(o[1]) for o in outs]))

    def features(self, images) -> np.ndarray:
        """(N, 128) penultimate activations: the space for FID and KID."""
        return self._run(images)[0]

    def predict(self, images) -> np.ndarray:
        """(N,) most likely class of each image."""
        return self._run(images)[1].argmax(axis=1)

    def features_and_labels(self, images):
        f, logits = self._run(images)
        return f, logits.argmax(axis=1)
