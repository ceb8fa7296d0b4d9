"""How good a generator is, in numbers: FID, KID, class coverage, label accuracy, colour.

Everything is measured in a feature space chosen per dataset (`feature_space`): our domain
classifier's for MNIST, Fashion-MNIST and CIFAR-10; for image folders with no classifier
(Pokemon), the CIFAR-10 classifier's at 32x32. Each report also gets the *floor*: the same
metrics for real held-out images against the same reference, i.e. what "perfect" scores
at this sample size.
"""

from __future__ import annotations

import functools

import numpy as np

from . import data, datasets, metrics, sampling
from .classifiers import Classifier
from .errors import ConfigError


def _resize(images, side: int):
    """Resize a batch in [-1, 1] to side x side RGB (for a feature extractor's input)."""
    import keras

    x = np.asarray(images, np.float32)
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    if x.shape[1] != side:
        x = np.asarray(keras.ops.image.resize(x, (side, side), antialias=True))
    return x


class FeatureSpace:
    """Maps images in [-1, 1] to (features, predicted class or None)."""

    def __init__(self, dataset: str, extractor: str = "classifier"):
        self.dataset = dataset
        self.classifier_name = datasets.get(dataset).classifier
        self.inception = None
        if extractor == "inception":
            self.inception = _inception()
        elif extractor != "classifier":
            raise ConfigError(f"unknown feature extractor {extractor!r}: choose classifier or inception")
        self.classifier = _classifier(self.classifier_name)
        self.name = ("InceptionV3 (ImageNet) pool features" if self.inception is not None else
                     f"{self.classifier_name} classifier features" +
                     ("" if self.classifier_name == dataset else " at 32x32"))

    def __call__(self, images):
        images = np.asarray(images, np.float32)
        if self.classifier_name != self.dataset:
            images = _resize(images, 32)
        feats, labels = self.classifier.features_and_labels(images)
        if self.inception is not None:
            x = _resize(images, 299)
            feats = np.concatenate([self.inception.predict(x[i:i + 200], verbose=0)
                                    for i in range(0, len(x), 200)])
        own_classes = self.classifier_name == self.dataset
        return feats, (labels if own_classes else None)


@functools.lru_cache(maxsize=None)
def _classifier(name: str) -> Classifier:
    """One classifier per dataset and process: every run's KID checks and every evaluation
    share its weights and its traced prediction function, instead of building and tracing
    their own."""
    return Classifier(name)


def _inception():
    """InceptionV3 with ImageNet weights, or None with one line saying why we fall back."""
    import keras

    try:
        return keras.applications.InceptionV3(include_top=False, pooling="avg", weights="imagenet")
    except Exception as exc:  # offline: the weights cannot be downloaded
        print(f"InceptionV3 ImageNet weights unavailable ({str(exc)[:80]}); "
              "using the domain classifier's features instead")
        return None


def real_sets(dataset: str, n: int, seed: int = 0, path=None, size: int = 64, classes=None):
    """(reference, held_out) real images in [-1, 1]: `n` training images and up to `n` test
    images (of `classes` only, when given: the images a class-subset run learned from); for
    image folders (no test split) two disjoint halves of the folder."""
    reference, held_out, _ = _real_sets(dataset, n, seed, path, size, classes)
    return reference, held_out


def _real_sets(dataset, n, seed, path, size, classes):
    """`real_sets`, and the held-out images' labels (None for a folder)."""
    rng = np.random.default_rng(seed)
    train, _, _ = data.load_arrays(dataset, "train", classes, size=size, path=path)
    order = rng.permutation(len(train))  # (only the `n` used are converted to floats)
    if datasets.get(dataset).labelled:  # a test split to hold out
        test, labels, _ = data.load_arrays(dataset, "test", classes)
        pick = rng.permutation(len(test))[:n]
        return (datasets.to_tanh_range(train[order[:n]]), datasets.to_tanh_range(test[pick]),
                np.asarray(labels)[pick])
    train = datasets.to_tanh_range(train[order])
    half = len(train) // 2
    return train[:half], train[half:], None


def scores(fake_features, real_features, kid_subsets=50):
    size = min(1000, len(fake_features), len(real_features))
    k, k_std = metrics.kid(fake_features, real_features, subsets=kid_subsets, subset_size=size)
    return {"fid": metrics.fid(fake_features, real_features), "kid": k, "kid_std": k_std}


def coverage(labels, num_classes: int = 10) -> dict:
    """The class histogram of samples (shares) and how many classes get at least 5%."""
    share = np.bincount(labels, minlength=num_classes) / len(labels)
    return {"class_share": [round(float(s), 4) for s in share],
            "classes_at_least_5pct": int((share >= 0.05).sum())}


def confusion(asked, read, rows, num_classes: int = 10) -> list:
    """Row r: of the images asked for (or labelled) class `rows[r]`, the share the classifier
    reads as each class. The diagonal is the label accuracy; off it, what was drawn instead."""
    asked, read = np.asarray(asked), np.asarray(read)
    return [[round(float(s), 4) for s in np.bincount(read[asked == c], minlength=num_classes)
             / max(int((asked == c).sum()), 1)] for c in rows]


def saturation(images) -> float:
    """Mean HSV saturation of RGB images in [-1, 1]: 0 for greys, 1 for pure hues. A colour
    GAN's samples can match a classifier's features while looking washed out (sepia dogs),
    which FID and KID in that feature space barely register; a person sees it at once."""
    from matplotlib.colors import rgb_to_hsv

    x = (np.asarray(images, np.float32) + 1) / 2
    return float(rgb_to_hsv(np.clip(x, 0, 1))[..., 1].mean())


def checkerboard(images) -> float:
    """The share of the images' variation (about each image's mean) that lies in the three
    patterns with a period of 2 pixels: alternate rows, alternate columns, and both, the
    highest frequencies a grid of pixels holds. A transposed convolution whose kernel the
    stride does not divide starts out drawing these patterns (the checkerboard artefact);
    strokes and photos put little there. Averaged over images and colour channels."""
    x = np.moveaxis(np.asarray(images, np.float64), -1, 1)  # (N, C, H, W)
    h, w = x.shape[-2:]
    if h % 2 or w % 2:
        raise ValueError(f"images need an even height and width, got {h}x{w}")
    power = np.abs(np.fft.fft2(x - x.mean(axis=(-2, -1), keepdims=True))) ** 2
    grid = power[..., h // 2, 0] + power[..., 0, w // 2] + power[..., h // 2, w // 2]
    total = power.sum(axis=(-2, -1))
    return float(np.mean(np.divide(grid, total, out=np.zeros_like(total), where=total > 0)))


def grid_peaks(images, period: int = 8) -> float:
    """The share of the images' variation (about each image's mean) that stands out as sharp
    peaks at the frequencies of a pattern repeating every `period` pixels, above the level
    of the frequencies next to each peak. Four stacked stride-2 doublings can print patterns
    of period 2, 4, 8 and 16 pixels (a honeycomb of dots at 64x64), all locked to the pixel
    grid, so they add up over images; `checkerboard` sees period 2 only. Pictures have a
    smooth spectrum: about 0 for them."""
    x = np.moveaxis(np.asarray(images, np.float64), -1, 1)  # (N, C, H, W)
    h, w = x.shape[-2:]
    if h != w or h % period or period > h // 2:
        raise ValueError(f"images need a square side that `period` divides at least twice, "
                         f"got {h}x{w} and period {period}")
    power = (np.abs(np.fft.fft2(x - x.mean(axis=(-2, -1), keepdims=True))) ** 2).mean(axis=(0, 1))
    around = sum(np.roll(power, (i, j), axis=(0, 1)) for i in (-1, 0, 1) for j in (-1, 0, 1)
                 if i or j) / 8  # the mean of each frequency's eight neighbours
    step = h // period
    grid = np.zeros_like(power, bool)
    grid[::step, ::step] = True
    grid[0, 0] = False  # the mean, removed above
    total = power.sum()
    return float((power - around)[grid].sum() / total) if total > 0 else 0.0


def evaluate(generator, dataset: str, n: int = 10000, seed: int = 0, extractor="classifier",
             path=None, classes=None) -> dict:
    """Every metric for `generator` against real `dataset` images, and the real-data floor."""
    known = sampling.num_classes(generator)
    if known is not None and not datasets.get(dataset).labelled:
        raise ConfigError(f"this generator is conditional but dataset {dataset!r} has no labels: "
                          "evaluate it on the labelled dataset it was trained on")
    trained = datasets.class_labels(dataset, classes)  # the dataset's label of each model label
    if known is not None and known != len(trained):
        raise ConfigError(f"this generator knows {known} classes but {len(trained)} were given: "
                          "pass classes=[...], the classes it was trained on, in their order")
    space = FeatureSpace(dataset, extractor)
    side = int(generator.outputs[0].shape[1])
    reference, held_out, held_truth = _real_sets(dataset, n, seed, path, side, classes)
    ref_f, _ = space(reference)
    held_f, held_labels = space(held_out)
    images, labels = sampling.sample(generator, n, seed)
    fake_f, predicted = space(images)
    result = {"dataset": dataset, "n": n, "features": space.name,
              **({"classes": list(classes)} if classes else {}),
              **scores(fake_f, ref_f),
              "floor": {"n_real": len(held_out), **scores(held_f, ref_f)}}
    if images.shape[-1] == 3:
        result["saturation"] = saturation(images)
        result["floor"]["saturation"] = saturation(held_out)
    if predicted is not None:
        result.update(coverage(predicted))  # conditional too: are the classes asked for drawn?
        if labels is not None:  # the dataset's label of each class asked for
            asked = np.asarray(trained)[labels]
            result["label_accuracy"] = float((predicted == asked).mean())
            result["confusion"] = confusion(asked, predicted, trained)
            # each class asked for, read as itself: the confusion matrix's diagonal
            result["label_accuracy_per_class"] = [row[c] for row, c in zip(result["confusion"], trained)]
            # the same reading of real held-out images: what a perfect generator would score
            result["floor"]["label_accuracy"] = float((held_labels == held_truth).mean())
            result["floor"]["confusion"] = confusion(held_truth, held_labels, trained)
    return result
