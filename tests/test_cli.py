"""`python -m ganutils`: help, the sample command's npz format, and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest


def cli(*args):
    return subprocess.run([sys.executable, "-m", "ganutils", *args], capture_output=True,
                          text=True, timeout=300, env=os.environ.copy())


@pytest.mark.parametrize("cmd", ["train", "sample", "fetch"])
def test_help(cmd):
    r = cli(cmd, "--help")
    assert r.returncode == 0 and "usage: python -m ganutils " + cmd in r.stdout


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
    assert "Traceback" not in r.stderr


def test_train_unknown_configuration_lists_the_valid_ones():
    r = cli("train", "nope")
    assert r.returncode == 2 and "mnist_gan" in r.stderr and "Traceback" not in r.stderr
