"""Every builder: output shapes, logits out of discriminators, and the seeds' parameter counts."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ganutils import models
from ganutils.errors import ConfigError


@pytest.mark.parametrize("name", list(models.MODELS))
def test_generator_and_discriminator_shapes(name):
    spec = models.get(name)
    g, d = spec.build()
    n = 3
    z = np.random.default_rng(0).standard_normal((n, spec.latent_dim)).astype("float32")
    labels = np.array([[0], [4], [9]], "int32")
    images = np.asarray(g([z, labels] if spec.conditional else z))
    assert images.shape == (n, *spec.image_shape)
    assert images.min() >= -1.0 and images.max() <= 1.0  # tanh output
    out = d([images, labels] if spec.conditional else images)
    if spec.decoders:  # FastGAN: a 5x5 map of patch logits, and the features it decodes
        logits, f8, f16 = (np.asarray(o) for o in out)
        assert logits.shape == (n, 5, 5, 1)
        assert f8.shape[:3] == (n, 8, 8) and f16.shape[:3] == (n, 16, 16)
    else:
        assert np.asarray(out).shape == (n, 1)
        assert d.layers[-1].get_config().get("activation") in ("linear", None)  # logits, no sigmoid


def test_seed_004_generator_matches_its_parameter_table():
    g = models.dcgan_transpose_generator(latent_dim=100)
    counts = [layer.count_params() for layer in g.layers if layer.count_params()]
    # Table 1 of seed 004: dense 51712, BN 2048, dense 1608768, BN 12544, convT 51232, BN 128, convT 801.
    assert counts == [51712, 2048, 1608768, 12544, 51232, 128, 801]
    assert g.count_params() == 1727233


def test_seed_000_shapes():
    g = models.dcgan32_generator()
    assert g.inputs[0].shape[-1] == 100
    assert [tuple(l.output.shape[1:]) for l in g.layers if "transpose" in l.name] == \
        [(8, 8, 128), (16, 16, 128), (32, 32, 128)]


def test_seed_003_variant_has_latent_200_and_max_pooling():
    g, d = models.get("maxpool32").build()
    assert g.inputs[0].shape[-1] == 200
    assert sum("max_pooling" in l.name for l in d.layers) == 3


def test_cgan32_listens_to_the_label_in_both_networks():
    """The generator draws a different image for another class from the same noise, and the
    projection discriminator scores the same image differently under another label."""
    g, d = models.get("cgan32").build()
    z = np.repeat(np.random.default_rng(0).standard_normal((1, 200)).astype("float32"), 2, 0)
    labels = np.array([[3], [7]], "int32")
    images = np.asarray(g([z, labels]))
    assert np.abs(images[0] - images[1]).max() > 1e-4
    same = np.repeat(images[:1], 2, 0)
    logits = np.asarray(d([same, labels]))
    assert abs(logits[0, 0] - logits[1, 0]) > 1e-6
    assert "projection" in [layer.name for layer in d.layers]


def test_unknown_model_lists_valid_ones():
    with pytest.raises(ConfigError, match="mlp, dcgan_upsample"):
        models.get("stylegan")


DATASET_FOR_SIDE = {28: "mnist", 32: "cifar10", 64: "pokemon"}
LOAD_WITHOUT_GANUTILS = """
import sys, keras, numpy as np
for path in sys.argv[1:]:
    g = keras.saving.load_model(path)
    z = np.load(path + ".z.npy")
    images = keras.ops.convert_to_numpy(g([z, np.array([[1], [2]])] if len(g.inputs) == 2 else z))
    np.save(path + ".out.npy", images)
assert not [m for m in sys.modules if m.startswith("ganutils")]
print("loaded", len(sys.argv) - 1)
"""


def _load_without_ganutils(paths, cwd):
    """Load each saved generator in a Python that never imports ganutils; its images."""
    import os
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_GANUTILS, *map(str, paths)],
                       capture_output=True, text=True, timeout=600, cwd=cwd,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["loaded", str(len(paths))]
    return [np.load(f"{p}.out.npy") for p in paths]


@pytest.mark.slow
def test_every_generator_saves_as_plain_keras_that_draws_the_same_without_ganutils(tmp_path):
    """Each model's generator with the XLA speed-up layers swapped in (as an XLA run trains
    it), saved as a run saves it: a Python that never imports ganutils loads every file and
    draws what the swapped-in network draws."""
    from ganutils import checkpoint, speedups

    paths, expected = [], []
    for name, spec in models.MODELS.items():
        keras.utils.set_random_seed(0)
        fast = speedups.accelerated(spec.build()[0])
        z = np.random.default_rng(0).normal(size=(2, spec.latent_dim)).astype("float32")
        out = fast([z, np.array([[1], [2]])] if spec.conditional else z, training=False)
        path = checkpoint.save_generator(fast, tmp_path / f"{name}.keras")
        np.save(f"{path}.z.npy", z)
        paths.append(path)
        expected.append(keras.ops.convert_to_numpy(out))
    for name, want, got in zip(models.MODELS, expected, _load_without_ganutils(paths, tmp_path)):
        assert got.shape == want.shape, name
        assert got.min() >= -1 and got.max() <= 1, name
        np.testing.assert_allclose(got, want, atol=1e-4, err_msg=name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dcgan_transpose", "cgan32"])
def test_a_trained_generator_loads_as_plain_keras_without_ganutils(name, tmp_path):
    """End to end for one model of each kind (unconditional on MNIST, conditional on
    CIFAR-10): trained with XLA (the speed-up layers swapped in), saved by the run, loaded by
    a Python that never imports ganutils."""
    from conftest import have
    from ganutils import runs

    spec = models.get(name)
    dataset = DATASET_FOR_SIDE[spec.image_shape[0]]
    if dataset != "mnist" and not have(dataset):
        pytest.skip(f"{dataset} is not in the data folder")
    run = runs.train(dataset=dataset, model=name, epochs=1, limit=spec.batch_size,
                     quality_every=0, jit_compile=True, grid=4, out_dir=str(tmp_path / "run"),
                     verbose=0)
    path = run.path("generator.keras")
    np.save(f"{path}.z.npy", np.random.default_rng(0).normal(size=(2, spec.latent_dim)).astype("float32"))
    (images,) = _load_without_ganutils([path], tmp_path)
    assert images.shape == (2, *spec.image_shape)
    assert images.min() >= -1 and images.max() <= 1
