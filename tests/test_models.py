"""Every builder: output shapes, logits out of discriminators, and the seeds' parameter counts."""

from __future__ import annotations

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
g = keras.saving.load_model(sys.argv[1])
z = np.random.default_rng(0).normal(size=(2, g.inputs[0].shape[-1])).astype("float32")
images = keras.ops.convert_to_numpy(g([z, np.array([[1], [2]])] if len(g.inputs) == 2 else z))
assert not [m for m in sys.modules if m.startswith("ganutils")]
print(images.shape, float(images.min()) >= -1, float(images.max()) <= 1)
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", list(models.MODELS))
def test_a_trained_generator_loads_as_plain_keras_without_ganutils(name, tmp_path):
    """Trained with XLA (the speed-up layers swapped in), saved, then loaded by a Python that
    never imports ganutils."""
    import os
    import subprocess
    import sys

    from conftest import have
    from ganutils import runs

    spec = models.get(name)
    dataset = DATASET_FOR_SIDE[spec.image_shape[0]]
    if dataset != "mnist" and not have(dataset):
        pytest.skip(f"{dataset} is not in the data folder")
    run = runs.train(dataset=dataset, model=name, epochs=1, limit=spec.batch_size,
                     quality_every=0, jit_compile=True, grid=4, out_dir=str(tmp_path / "run"),
                     verbose=0)
    r = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_GANUTILS, str(run.path("generator.keras"))],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == [f"(2,", *[f"{d}," for d in spec.image_shape[:2]],
                                f"{spec.image_shape[2]})", "True", "True"]
