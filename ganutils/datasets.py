"""What each dataset is, in one place: image shape, class names, whether it has labels, and
which domain classifier judges its images. `data`, `evaluation`, `classifiers` and
`trainconfig` all read this table; nothing here imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import check_choice

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
MNIST_CLASSES = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class DatasetSpec:
    """`side` is None for image folders, which are resized to the run's `image_size`."""

    side: int | None
    channels: int
    classes: tuple
    labelled: bool
    classifier: str  # the dataset whose classifier gives features and verdicts

    def shape(self, image_size: int | None = None) -> tuple:
        side = self.side or image_size
        return (side, side, self.channels)


DATASETS = {
    "mnist": DatasetSpec(28, 1, MNIST_CLASSES, True, "mnist"),
    "fashion_mnist": DatasetSpec(28, 1, FASHION_CLASSES, True, "fashion_mnist"),
    "cifar10": DatasetSpec(32, 3, CIFAR10_CLASSES, True, "cifar10"),
    # Image folders (Pokemon artwork, your own): no labels; judged at 32x32 by the CIFAR-10
    # classifier, the only one trained on colour photographs.
    "pokemon": DatasetSpec(None, 3, ("pokemon",), False, "cifar10"),
    "folder": DatasetSpec(None, 3, ("folder",), False, "cifar10"),
}
CLASSIFIED = tuple(name for name, spec in DATASETS.items() if spec.classifier == name)


def get(name: str) -> DatasetSpec:
    """The DatasetSpec called `name`; an unknown name lists the valid ones."""
    check_choice("dataset", name, tuple(DATASETS))
    return DATASETS[name]


def class_labels(dataset: str, classes=None) -> list:
    """The dataset's labels of `classes` (names, in the order given; all classes if None).
    A conditional model trained on some classes knows them as 0, 1, ... in this order: its
    label i is the dataset's label `class_labels(dataset, classes)[i]`."""
    names = [str(c) for c in get(dataset).classes]
    if classes is None:
        return list(range(len(names)))
    for c in classes:
        check_choice(f"{dataset} class", str(c), names)
    return [names.index(str(c)) for c in classes]


def to_tanh_range(images):
    """uint8 pixels (0-255) as float32 in [-1, 1], the range a tanh generator emits: the one
    conversion every loader, metric and plot uses."""
    import numpy as np

    return (np.asarray(images, np.float32) - 127.5) / 127.5
