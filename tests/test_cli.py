"""`python -m ganutils`: help, the sample command's npz format, and one-line errors.

Every call runs with `TF_ENABLE_ONEDNN_OPTS=1`, which makes TensorFlow print its oneDNN
notices on any CPU (by default only on some): what a user sees must not depend on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest


def cli(*args, python=()):
    return subprocess.run([sys.executable, *python, "-m", "ganutils", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": "1"})


@pytest.mark.parametrize("cmd", ["train", "sample", "evaluate", "classifiers", "fetch"])
def test_help_answers_without_importing_tensorflow(cmd):
    r = cli(cmd, "--help", python=("-X", "importtime"))  # importtime lists every import on stderr
    assert r.returncode == 0 and "usage: python -m ganutils " + cmd in r.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in r.stderr.splitlines()}
    assert "tensorflow" not in imported and "keras" not in imported


def test_every_train_option_comes_from_the_config_with_help():
    import dataclasses

    from ganutils.trainconfig import HELP, TrainConfig

    text = cli("train", "--help").stdout
    for f in dataclasses.fields(TrainConfig):
        assert f"--{f.name.replace('_', '-')}" in text and HELP[f.name]
    assert set(HELP) == {f.name for f in dataclasses.fields(TrainConfig)}


@pytest.mark.parametrize("args,message", [
    (["train", "mnist_gan", "--epochs", "-3"], "error: epochs must be an integer >= 0, got -3"),
    (["train", "nope"], "invalid choice: 'nope'"),
    (["train", "mnist_gan", "--spectral-norm", "maybe"], "expected on or off"),
    (["train", "mnist_gan", "--model", "dcgan32"], "makes (32, 32, 3) images"),
    (["sample", "--generator", "missing.keras", "--out", "x.npz"], "missing.keras"),
])
def test_user_errors_are_one_line_on_stderr(args, message, tmp_path):
    r = cli(*args, "--out" if args[0] == "train" else "--n", str(tmp_path / "o") if args[0] == "train" else "2")
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and message in r.stderr, r.stderr


def test_sample_writes_images_in_range(tiny_run, tmp_path):
    out = tmp_path / "s.npz"
    r = cli("sample", "--generator", str(tiny_run.path("generator.keras")), "--n", "12",
            "--seed", "3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    with np.load(out) as f:
        assert set(f.files) == {"images"}
        images = f["images"]
    assert images.shape == (12, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= -1 and images.max() <= 1


def test_sample_conditional_writes_balanced_labels(tmp_path, mnist_arrays):
    from ganutils import runs

    run = runs.train(out_dir=str(tmp_path / "c"), model="cgan_mlp", epochs=1, limit=128, verbose=0)
    out = tmp_path / "c.npz"
    r = cli("sample", "--generator", str(run.path("generator.keras")), "--n", "25", "--out", str(out))
    assert r.returncode == 0, r.stderr
    with np.load(out) as f:
        assert f["images"].shape == (25, 28, 28, 1)
        assert f["labels"].dtype.kind == "i" and np.bincount(f["labels"]).tolist() == [3] * 5 + [2] * 5


def test_sample_rejects_a_file_that_is_not_a_generator(tmp_path):
    bad = tmp_path / "notes.keras"
    bad.write_text("hello")
    r = cli("sample", "--generator", str(bad), "--n", "2", "--out", str(tmp_path / "x.npz"))
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and "not a Keras model file" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_evaluate_scores_a_generator_of_some_classes_against_those_classes(tmp_path, mnist_arrays):
    from ganutils import runs

    run = runs.train(out_dir=str(tmp_path / "c"), model="cgan_mlp", classes=["3", "7"], epochs=1,
                     limit=128, verbose=0)
    generator = str(run.path("generator.keras"))
    r = cli("evaluate", "--generator", generator, "--dataset", "mnist", "--n", "64")
    assert r.returncode == 2 and "knows 2 classes but 10 were given" in r.stderr
    r = cli("evaluate", "--generator", generator, "--dataset", "mnist", "--n", "64",
            "--classes", "3", "7")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["classes"] == ["3", "7"] and 0 <= result["label_accuracy"] <= 1
    r = cli("evaluate", "--generator", generator, "--dataset", "mnist", "--n", "64",
            "--classes", "3", "seven")
    assert r.returncode == 2 and "unknown mnist class 'seven'" in r.stderr
