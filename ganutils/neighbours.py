"""Does the generator copy its training images? Each sample beside its nearest training
images, and how close samples come to the training set compared with new real images.

On small datasets (5,000 dogs, 819 Pokemon) a discriminator can memorise the training set,
and a generator can then reproduce it; a low FID would not tell. Nearness is measured two
ways: in the classifier's feature space (same content, perhaps shifted or recoloured) and in
pixels (the same picture).
"""

from __future__ import annotations

import numpy as np

from . import data, datasets, evaluation, plots, sampling


def _distances(a, b) -> np.ndarray:
    """Euclidean distances between the rows of `a` (n, d) and of `b` (m, d): (n, m)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d2 = (a * a).sum(1)[:, None] - 2 * a @ b.T + (b * b).sum(1)[None, :]
    return np.sqrt(np.maximum(d2, 0))


def nearest(generator, dataset: str, classes=None, path=None, n: int = 1000, seed: int = 0,
            limit: int | None = None):
    """Distances from `n` samples, and from real images the generator never saw, to their
    nearest training image in the classifier's feature space. Where the dataset has no test
    split (an image folder), the reference for "new real images" is each training image's
    nearest *other* training image. `limit`: the run trained on the first `limit` images
    only (TrainConfig.limit), so only those can have been copied.

    Returns a dict: the samples, the training images, the feature distances (samples x
    training), the medians for samples and for new real images, and `near_copies`, the
    share of samples closer to the training set than 99% of new real images are."""
    space = evaluation.FeatureSpace(dataset)
    side = int(generator.outputs[0].shape[1])
    train, _, _ = data.load_arrays(dataset, "train", classes, size=side, limit=limit, path=path)
    train = datasets.to_tanh_range(train)
    train_f, _ = space(train)
    samples, _ = sampling.sample(generator, n, seed)
    sample_d = _distances(space(samples)[0], train_f)
    if datasets.get(dataset).labelled:
        test, _, _ = data.load_arrays(dataset, "test", classes)
        pick = np.random.default_rng(seed).permutation(len(test))[:n]
        real_nearest = _distances(space(datasets.to_tanh_range(test[pick]))[0], train_f).min(1)
        reference = "held-out test images"
    else:
        within = _distances(train_f, train_f)
        np.fill_diagonal(within, np.inf)
        real_nearest = within.min(1)
        reference = "training images (their nearest other training image)"
    sample_nearest = sample_d.min(1)
    return {"samples": samples, "train": train, "feature_distances": sample_d,
            "median_sample": float(np.median(sample_nearest)),
            "median_real": float(np.median(real_nearest)), "reference": reference,
            "near_copies": float((sample_nearest < np.percentile(real_nearest, 1)).mean())}


def describe(found: dict) -> str:
    ratio = found["median_sample"] / found["median_real"]
    return (f"distance to the nearest training image (classifier features, median): samples "
            f"{found['median_sample']:.2f}, real {found['reference']} {found['median_real']:.2f} "
            f"(ratio {ratio:.2f}); samples closer than 99% of the real ones: "
            f"{found['near_copies']:.1%}")


def figure(found: dict, rows: int = 6, k: int = 4, path=None):
    """Left: `rows` samples, each followed by its `k` nearest training images in the
    classifier's feature space; right: the same samples with their nearest in pixels."""
    samples, train = found["samples"][:rows], found["train"]
    by_features = np.argsort(found["feature_distances"][:rows], axis=1)[:, :k]
    flat = train.reshape(len(train), -1)
    by_pixels = np.argsort(_distances(samples.reshape(rows, -1), flat), axis=1)[:, :k]
    panels = {}
    for title, index in (("a sample, then its nearest training images in classifier features",
                          by_features),
                         ("the same samples, nearest training images in pixels", by_pixels)):
        panels[title] = np.concatenate([np.concatenate([samples[i:i + 1], train[index[i]]])
                                        for i in range(rows)])
    return plots.grids_side_by_side(panels, cols=k + 1, rows=rows, path=path, inches=3.2)
