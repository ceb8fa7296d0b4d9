"""Distances between two sets of image features: Fréchet distance (FID) and kernel (KID).

Both compare the feature statistics of generated and real images. FID (Heusel et al. 2017)
fits a Gaussian to each set; it is biased for small samples, so compare FIDs only at equal
sample sizes. KID (Bińkowski et al. 2018) is the unbiased squared MMD with the cubic
polynomial kernel, averaged over random subsets: its expectation is 0 when both sets come
from one distribution, whatever the sample size, which makes it the metric to track during
training on a few thousand samples.
"""

from __future__ import annotations

import numpy as np


def _stats(features):
    f = np.asarray(features, np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"features must be a 2-D array of at least 2 rows, got shape {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def _sqrt_psd(matrix):
    """Symmetric square root of a positive semi-definite matrix (eigenvalues clipped at 0)."""
    w, v = np.linalg.eigh((matrix + matrix.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)), the Fréchet distance of two Gaussians.

    Tr((S1 S2)^(1/2)) is computed as Tr((A S2 A)^(1/2)) with A = S1^(1/2): the same
    eigenvalues, but a symmetric matrix, so no complex parts from round-off.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    a = _sqrt_psd(s1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(a @ s2 @ a), 0, None)).sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * cross)


def fid(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (rows are samples)."""
    return frechet_distance(*_stats(features_a), *_stats(features_b))


def _mmd2_unbiased(x, y):
    d = x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return ((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
            + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
            - 2 * kxy.mean())


def kid(features_a, features_b, subsets: int = 50, subset_size: int = 1000, seed: int = 0):
    """(mean, std) of the unbiased MMD^2 with kernel (x.y/d + 1)^3 over random subsets."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    size = min(subset_size, len(a), len(b))
    if size < 2:
        raise ValueError("KID needs at least 2 samples in each set")
    rng = np.random.default_rng(seed)
    values = [_mmd2_unbiased(a[rng.choice(len(a), size, replace=False)],
                             b[rng.choice(len(b), size, replace=False)]) for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values))
