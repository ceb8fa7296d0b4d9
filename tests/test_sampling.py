"""Interpolation helpers and the pair comparison used by the notebooks."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from ganutils import models, report, sampling
from ganutils.errors import ConfigError


@pytest.fixture(scope="module")
def cgan_generator():
    keras.utils.set_random_seed(1)
    return models.cgan_mlp_generator()


def test_noise_interpolation_rows_share_their_columns_noise(cgan_generator):
    grid = sampling.interpolate_noise(cgan_generator, steps=5, seed=3, labels=[2, 7])
    assert grid.shape == (10, 28, 28, 1)
    ends = np.random.default_rng(3).standard_normal((2, 100)).astype("float32")
    first = np.asarray(cgan_generator([ends[:1], np.array([[7]], "int32")], training=False))
    last = np.asarray(cgan_generator([ends[1:], np.array([[2]], "int32")], training=False))
    np.testing.assert_allclose(grid[5], first[0], atol=1e-5)   # row of label 7, t = 0
    np.testing.assert_allclose(grid[4], last[0], atol=1e-5)    # row of label 2, t = 1


def test_label_blend_ends_are_the_two_classes(cgan_generator):
    grid = sampling.blend_labels(cgan_generator, [(3, 8)], steps=4, seed=0)
    z = np.random.default_rng(0).standard_normal((1, 100)).astype("float32")
    for col, label in ((0, 3), (3, 8)):
        want = np.asarray(cgan_generator([z, np.array([[label]], "int32")], training=False))[0]
        np.testing.assert_allclose(grid[col], want, atol=1e-5)
    assert not np.allclose(grid[1], grid[0]) and not np.allclose(grid[1], grid[3])


def test_label_blend_refuses_an_unconditional_generator():
    with pytest.raises(ConfigError, match="label embedding"):
        sampling.blend_labels(models.mlp_generator(), [(0, 1)])


def test_compare_picks_the_lower_fid_and_relates_it_to_the_baseline(tmp_path):
    runs = {}
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for f in ("generator.keras", "samples.png"):
            (tmp_path / name / f).write_text(name)
        runs[name] = SimpleNamespace(out_dir=tmp_path / name)
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"fid": 8.0}))
    metrics = {"a": {"fid": 6.0, "kid": 0.2}, "b": {"fid": 2.0, "kid": 0.1}}
    out = report.compare(runs, metrics, tmp_path, base)
    assert out["better"] == "b" and out["fid"] == 2.0 and out["fid_ratio_to_baseline"] == 0.25
    assert json.loads((tmp_path / "metrics.json").read_text())["models"] == metrics
    assert (tmp_path / "generator.keras").read_text() == "b"
    assert "baseline_fid" not in report.compare(runs, metrics, tmp_path, Path(tmp_path / "none.json"))
