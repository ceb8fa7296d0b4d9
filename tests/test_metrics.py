"""The metric maths against closed forms and known expectations."""

from __future__ import annotations

import numpy as np
import pytest

from ganutils import metrics


def test_frechet_distance_matches_closed_form_for_commuting_covariances():
    # Diagonal covariances commute: the distance is |dmu|^2 + sum (s1 + s2 - 2 sqrt(s1 s2)).
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = 5.0 + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert metrics.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected)


def test_frechet_distance_of_rotated_gaussian_is_rotation_invariant():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    s1, s2 = a @ a.T + np.eye(4), np.diag([1.0, 2.0, 3.0, 4.0])
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    d = metrics.frechet_distance(np.zeros(4), s1, np.ones(4), s2)
    d_rot = metrics.frechet_distance(np.zeros(4), q @ s1 @ q.T, q @ np.ones(4), q @ s2 @ q.T)
    assert d == pytest.approx(d_rot, rel=1e-9)
    assert metrics.frechet_distance(np.ones(4), s1, np.ones(4), s1) == pytest.approx(0, abs=1e-9)


def test_fid_from_samples_approaches_the_closed_form():
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 1.0, (20000, 2))
    y = rng.normal([3.0, 0.0], [1.0, 2.0], (20000, 2))
    expected = 9.0 + (1 + 4 - 2 * 2) + 0.0
    assert metrics.fid(x, y) == pytest.approx(expected, rel=0.03)


def test_kid_is_unbiased_on_one_distribution_and_positive_between_two():
    rng = np.random.default_rng(2)
    same = [metrics.kid(rng.standard_normal((400, 8)), rng.standard_normal((400, 8)),
                        subsets=10, subset_size=200, seed=s)[0] for s in range(20)]
    assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same)) + 1e-4
    shifted, std = metrics.kid(rng.standard_normal((400, 8)), rng.standard_normal((400, 8)) + 0.5,
                               subsets=10, subset_size=200)
    assert shifted > 10 * max(abs(np.mean(same)), 1e-3) and std > 0
