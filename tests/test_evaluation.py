"""Feature extractors, the evaluate command, and quality measured during training."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from ganutils import data, datasets, evaluation, sampling
from ganutils.classifiers import Classifier
from ganutils.errors import ConfigError
from conftest import needs_cifar, needs_fashion, needs_pokemon


def _test_accuracy(name, n=2000):
    x, y, _ = data.load_arrays(name, "test", limit=n)
    return (Classifier(name).predict((x.astype(np.float32) - 127.5) / 127.5) == y).mean()


def test_mnist_classifier_loads_and_is_accurate(mnist_arrays):
    assert _test_accuracy("mnist") >= 0.99


@needs_fashion
def test_fashion_classifier_is_accurate():
    assert _test_accuracy("fashion_mnist") >= 0.91


@needs_cifar
def test_cifar_classifier_is_accurate():
    assert _test_accuracy("cifar10") >= 0.82


def test_features_are_128_numbers_per_image(mnist_arrays):
    f, labels = evaluation.FeatureSpace("mnist")(np.zeros((3, 28, 28, 1), np.float32) - 1)
    assert f.shape == (3, 128) and labels.shape == (3,)


def test_inception_falls_back_in_one_line_when_weights_cannot_be_had(monkeypatch, capsys):
    def offline(**kw):
        raise OSError("URL fetch failure")
    monkeypatch.setattr(keras.applications, "InceptionV3", offline)
    space = evaluation.FeatureSpace("mnist", "inception")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "InceptionV3 ImageNet weights unavailable" in out[0]
    assert space.name == "mnist classifier features"


def test_evaluate_scores_a_trained_generator_above_the_real_floor(tiny_run):
    r = evaluation.evaluate(tiny_run.generator, "mnist", n=500)
    assert set(r) >= {"fid", "kid", "kid_std", "floor", "class_share", "classes_at_least_5pct"}
    assert r["fid"] > 5 * r["floor"]["fid"] and r["kid"] > r["floor"]["kid"]
    assert abs(sum(r["class_share"]) - 1) < 1e-6


def test_quality_is_logged_each_epoch_and_best_generator_kept(tiny_run):
    h = tiny_run.history
    assert len(h["kid"]) == len(h["fid"]) == 3 and all(k is not None for k in h["kid"])
    best = json.loads(tiny_run.path("best.json").read_text())
    assert best["kid"] == min(h["kid"]) and best["epoch"] == 1 + int(np.argmin(h["kid"]))
    # The kept generator is the best epoch's: scored again on the same fixed noise, it gets
    # the KID that best.json records for it.
    best_generator = sampling.load_generator(tiny_run.path("generator_best.keras"))
    space = evaluation.FeatureSpace("mnist")
    real, _, _ = data.load_arrays("mnist", "train", limit=512)
    pick = np.random.default_rng(tiny_run.config.seed).permutation(len(real))[:5000]
    ref_f, _ = space(datasets.to_tanh_range(real[pick]))
    fake_f, _ = space(sampling.sample(best_generator, 1000, tiny_run.config.seed)[0])
    assert np.isclose(evaluation.scores(fake_f, ref_f, kid_subsets=10)["kid"], best["kid"], rtol=1e-3)


def test_evaluate_cli_prints_json_and_writes_metrics(tiny_run, tmp_path):
    gen = tmp_path / "generator.keras"
    gen.write_bytes(tiny_run.path("generator.keras").read_bytes())
    r = subprocess.run([sys.executable, "-m", "ganutils", "evaluate", "--generator", str(gen),
                        "--dataset", "mnist", "--n", "300", "--write"], capture_output=True,
                       text=True, timeout=300, env=os.environ.copy())
    assert r.returncode == 0, r.stderr
    line = json.loads(r.stdout.strip().splitlines()[-1])
    assert line["n"] == 300 and "floor" in line
    assert json.loads((tmp_path / "metrics.json").read_text()) == line


def test_conditional_generator_gets_label_accuracy(tmp_path, mnist_arrays):
    from ganutils import runs

    run = runs.train(out_dir=str(tmp_path), model="cgan_mlp", epochs=1, limit=256,
                     quality_every=0, verbose=0)
    assert "kid" not in run.history  # quality_every=0 switches measurement off
    r = evaluation.evaluate(run.generator, "mnist", n=200)
    assert 0 <= r["label_accuracy"] <= 1 and len(r["label_accuracy_per_class"]) == 10
    # the confusion matrix's diagonal is the label accuracy per class; each row sums to 1
    conf = np.asarray(r["confusion"])
    assert conf.shape == (10, 10) and np.allclose(conf.sum(1), 1, atol=1e-3)
    assert np.allclose(np.diag(conf), r["label_accuracy_per_class"], atol=1e-3)
    assert np.asarray(r["floor"]["confusion"]).shape == (10, 10)
    # and what the samples look like, asked or not: the comparison table reads it
    assert len(r["class_share"]) == 10 and abs(sum(r["class_share"]) - 1) < 1e-6
    assert 0 <= r["classes_at_least_5pct"] <= 10


def test_conditional_run_on_some_classes_knows_them_as_0_1_in_their_order(tmp_path, mnist_arrays):
    """Trained on the digits 7 and 3 only, a conditional generator has two labels: 0 asks
    for a 7, 1 for a 3; its label accuracy is checked against those digits, and evaluating
    it as a ten-class generator is refused with the fix."""
    from ganutils import callbacks, runs

    run = runs.train(out_dir=str(tmp_path), model="cgan_mlp", classes=["7", "3"], epochs=1,
                     limit=256, quality_every=0, verbose=0)
    assert sampling.num_classes(run.generator) == 2
    labels = callbacks.fixed_inputs(run.gan, 10)[1].ravel()
    assert list(labels) == [0] * 5 + [1] * 5
    r = evaluation.evaluate(run.generator, "mnist", n=200, classes=["7", "3"])
    assert len(r["label_accuracy_per_class"]) == 2
    conf = np.asarray(r["confusion"])  # rows: the two classes asked for; columns: all ten read
    assert conf.shape == (2, 10) and np.allclose(conf[:, [7, 3]].diagonal(), r["label_accuracy_per_class"], atol=1e-3)
    # the share of samples the classifier reads as 7 or 3, against how often it agrees
    share = r["class_share"]
    assert r["label_accuracy"] <= share[7] + share[3] + 1e-6
    with pytest.raises(ConfigError, match="knows 2 classes but 10 were given"):
        evaluation.evaluate(run.generator, "mnist", n=200)
    # its grid names the class asked for on each row: three rows of each of its two classes
    from ganutils import report

    fig = report.class_grid(run, cols=4, path=tmp_path / "classes.png")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["7"] * 3 + ["3"] * 3
    assert (tmp_path / "classes.png").exists()


@needs_pokemon
def test_image_folders_use_cifar_features_at_32px():
    space = evaluation.FeatureSpace("pokemon")
    f, labels = space(np.zeros((2, 64, 64, 3), np.float32))
    assert f.shape == (2, 128) and labels is None
    assert space.name == "cifar10 classifier features at 32x32"


def test_evaluate_refuses_a_conditional_generator_on_unlabelled_data(tmp_path, mnist_arrays):
    from ganutils import runs
    from ganutils.errors import ConfigError

    run = runs.train(out_dir=str(tmp_path), model="cgan_mlp", epochs=1, limit=128,
                     quality_every=0, verbose=0)
    with pytest.raises(ConfigError, match="conditional but dataset 'pokemon' has no labels"):
        evaluation.evaluate(run.generator, "pokemon", n=10)


def test_saturation_is_zero_for_greys_one_for_pure_hues_and_falls_as_colours_wash_out():
    grey = np.full((2, 4, 4, 3), 0.3, np.float32)
    red = -np.ones((2, 4, 4, 3), np.float32)
    red[..., 0] = 1
    washed = 0.5 * red + 0.5 * grey
    assert evaluation.saturation(grey) == 0
    assert evaluation.saturation(red) == pytest.approx(1)
    assert 0 < evaluation.saturation(washed) < evaluation.saturation(red)


def test_grid_peaks_find_a_dot_pattern_of_period_eight_that_the_checkerboard_misses():
    """A honeycomb-like lattice of dots every 8 pixels over soft blobs: `checkerboard`
    (period 2) barely sees it, `grid_peaks` does; smooth pictures score about 0."""
    rng = np.random.default_rng(0)
    y, x = np.meshgrid(np.arange(64), np.arange(64), indexing="ij")
    blobs = np.stack([np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 80.0)
                      for cy, cx in rng.uniform(16, 48, (20, 2))])[..., None]
    dots = ((y % 8 == 3) & (x % 8 == 5)).astype(float)[None, :, :, None]
    assert abs(evaluation.grid_peaks(blobs)) < 0.005
    assert evaluation.grid_peaks(blobs + 0.3 * dots) > 0.03
    assert evaluation.checkerboard(blobs + 0.3 * dots) < evaluation.grid_peaks(blobs + 0.3 * dots) / 3
    assert evaluation.grid_peaks(np.zeros((2, 64, 64, 3))) == 0.0
    with pytest.raises(ValueError, match="square side"):
        evaluation.grid_peaks(np.zeros((1, 28, 28, 1)))


def test_checkerboard_share_finds_period_two_patterns_only():
    i, j = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    board = ((-1.0) ** (i + j))[None, :, :, None]
    stripes = ((-1.0) ** i)[None, :, :, None]
    y, x = np.meshgrid(np.arange(32), np.arange(32), indexing="ij")
    smooth = np.exp(-((y - 16) ** 2 + (x - 12) ** 2) / 50.0)[None, :, :, None]  # a soft blob
    assert evaluation.checkerboard(board) == pytest.approx(1.0)
    assert evaluation.checkerboard(stripes) == pytest.approx(1.0)
    assert evaluation.checkerboard(smooth) < 0.01
    assert evaluation.checkerboard(np.zeros((2, 8, 8, 3))) == 0.0  # no variation, no pattern
    mixed = 0.1 * np.tile(board, (1, 4, 4, 1)) + smooth  # part of its variation is the board
    assert 0.01 < evaluation.checkerboard(mixed) < 1.0
    with pytest.raises(ValueError, match="even height and width"):
        evaluation.checkerboard(np.zeros((1, 7, 8, 1)))
