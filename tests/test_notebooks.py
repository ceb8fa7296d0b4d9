"""Each notebook runs headless with tiny parameters (papermill injects them; nbval runs it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import papermill
import pytest

from conftest import needs_cifar, needs_fashion, needs_pokemon

ROOT = Path(__file__).resolve().parent.parent
TINY = {"epochs": 1, "limit": 256, "time_budget": None, "snapshot_epochs": [1], "eval_samples": 300}
RUN_FILES = ["losses.png", "batch_losses.png", "training.gif", "samples.png", "generator.keras",
             "snapshots/generator_epoch_0001.keras", "metrics.json", "generator_best.keras"]
CGAN_FILES = [*(f for f in RUN_FILES if f != "batch_losses.png"), "snapshots.png",
              "label_accuracy.png", "interpolate_noise.png", "blend_labels.png"]
NOTEBOOKS = {
    "01_mnist_gan": [*RUN_FILES, "snapshots.png", "class_histogram.png"],
    "02_mnist_dcgan": ["kid_minutes.png", "metrics.json", "generator.keras", "samples.png",
                       "final_grids.png", "kid_minutes_long.png", "final_grids_long.png",
                       *(f"long/{f}" for f in RUN_FILES[2:]),
                       *(f"{m}/{f}" for m in ("dcgan_transpose", "dcgan_upsample") for f in RUN_FILES[2:]),
                       *(f"{kind}_{m}.{ext}" for m in ("dcgan_transpose", "dcgan_upsample")
                         for kind, ext in (("training", "gif"), ("losses", "png"),
                                           ("class_histogram", "png"), ("snapshots", "png")))],
    "03_mnist_cgan": CGAN_FILES,
    "07_fashion_mnist": [*CGAN_FILES, "confusion.png"],
}
# The augmentation notebooks: each variant's run folder, and the comparison's files.
VARIANTS = {
    "04_cifar_dog": ("dcgan32_plain", "dcgan32_diffaugment"),
    "05_cifar_cat_dog": ("dcgan32_plain", "dcgan32_diffaugment", "maxpool32_diffaugment",
                         "cgan32_diffaugment"),
    "06_pokemon": ("dcgan64_diffaugment", "dcgan64_resize_diffaugment", "dcgan64_resize_plain"),
    "08_cifar10": ("dcgan32_diffaugment", "maxpool32_diffaugment", "cgan32_diffaugment"),
}
# Runs beside the variants: every such notebook's long run; 06's FastGAN.
EXTRA_RUNS = {name: ("long", "fastgan") if name == "06_pokemon" else ("long",) for name in VARIANTS}
for _name, _variants in VARIANTS.items():
    NOTEBOOKS[_name] = ["kid_minutes.png", "metrics.json", "generator.keras", "samples.png", "real.png",
                        "final_grids.png",
                        *(["neighbours.png"] if _name != "08_cifar10" else ["confusion.png"]),
                        *(["final_grids_long.png"] if _name in ("05_cifar_cat_dog", "08_cifar10", "06_pokemon") else []),
                        *(["real_or_generated.png"] if _name != "04_cifar_dog" else []),
                        "kid_minutes_long.png",
                        *(f"{v}/{f}" for v in (*_variants, *EXTRA_RUNS[_name]) for f in RUN_FILES[2:]),
                        *(f"{kind}_{v}.{ext}" for v in (*_variants, *EXTRA_RUNS[_name])
                          for kind, ext in (("training", "gif"), ("losses", "png"), ("snapshots", "png"))
                          if kind != "snapshots" or _name != "06_pokemon" or v in EXTRA_RUNS[_name])]
BLIND_TESTS = ROOT / "reports" / "experiments" / "blind" / "tests.json"  # read by 06, not written
VARIANT_TINY = {"quality_every": 1, "quality_samples": 200, "snapshot_samples": 200,
                "long_budget": None}  # the long run: `epochs` (1) instead of minutes
NEEDS = {"07_fashion_mnist": needs_fashion, "04_cifar_dog": needs_cifar,
         "05_cifar_cat_dog": needs_cifar, "08_cifar10": needs_cifar, "06_pokemon": needs_pokemon}


# The four notebooks that train several variants first: they take the longest (conftest).
@pytest.mark.parametrize("name", [pytest.param(n, marks=NEEDS.get(n, ()))
                                  for n in sorted(NOTEBOOKS, key=lambda n: n not in VARIANTS)])
def test_notebook_runs_with_tiny_parameters(name, tmp_path, mnist_arrays):
    out = tmp_path / "out"
    injected = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"), str(injected),
                               parameters={**TINY, "out_dir": str(out),
                                           **(VARIANT_TINY if name in VARIANTS else {}),
                                           **({"steps_per_epoch": 1} if name in ("02_mnist_dcgan", "06_pokemon", "08_cifar10") else {}),
                                           **({"long_budget": None} if name == "02_mnist_dcgan" else {}),
                                           **({"fastgan_budget": None, "blind_tests": str(BLIND_TESTS)}
                                              if name == "06_pokemon" else {})},
                               prepare_only=True)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--nbval-lax", str(injected)], capture_output=True, text=True,
                       timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:]
    for f in NOTEBOOKS[name]:
        assert (out / f).exists(), f
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and metrics["n"] == TINY["eval_samples"]
    if name not in ("05_cifar_cat_dog", "08_cifar10"):  # their best may be conditional, or not
        assert ("label_accuracy" in metrics) == (name in ("03_mnist_cgan", "07_fashion_mnist"))
    if name == "02_mnist_dcgan":
        assert set(metrics["models"]) == {"dcgan_transpose", "dcgan_upsample", "long"}
        assert metrics["fid"] == min(m["fid"] for m in metrics["models"].values())
    if name in VARIANTS:
        assert set(metrics["models"]) == {*VARIANTS[name], *EXTRA_RUNS[name]}
        assert metrics["fid"] == min(m["fid"] for m in metrics["models"].values())
        assert all(m["device"] for m in metrics["models"].values())
    if name in ("04_cifar_dog", "05_cifar_cat_dog"):  # measured against the same classes only
        assert metrics["classes"] == (["dog"] if name == "04_cifar_dog" else ["cat", "dog"])
    if name in ("05_cifar_cat_dog", "08_cifar10"):  # conditional variants are asked for classes
        assert {k for k, m in metrics["models"].items() if "label_accuracy" in m} == \
            {"cgan32_diffaugment", "long"}
    if name == "05_cifar_cat_dog":  # a conditional model of two animals knows two labels
        import keras

        from ganutils import sampling

        generator = keras.saving.load_model(out / "cgan32_diffaugment" / "generator.keras")
        assert sampling.num_classes(generator) == 2
    if name == "08_cifar10":  # epochs of one batch each, not a pass over the data
        losses = json.loads((out / "dcgan32_diffaugment" / "losses.json").read_text())
        assert len(losses["batches"]["d_loss"]) == 1


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_notebook_source_has_one_parameters_cell_and_no_outputs(name):
    """papermill injects its values after the cell tagged `parameters`; without the tag it puts
    them first, where the notebook's own defaults silently override them."""
    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, f"{name}: {len(tagged)} cells tagged 'parameters'"
    assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code"), f"{name} has outputs"
    assert all(c.get("id") for c in cells), f"{name}: a cell without an id (nbformat 4.5 asks for one)"


def _setup_cell(name: str) -> str:
    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


def test_every_notebook_opens_with_the_same_set_up_cell():
    names = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert len({_setup_cell(n) for n in names}) == 1


def _run_setup(cwd: Path, colab: bool, tmp_path: Path, installed: bool = True):
    """The set-up cell in a fresh Python started in `cwd`; in "Colab", pip only records its call
    (and where not `installed`, ganutils is hidden until the cell has installed it)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import json, os, subprocess, sys, types\n"
        f"if {colab}:\n"
        "    sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
        "    calls = []\n"
        "    subprocess.run = lambda args, check: calls.append(args)\n"
        f"    hide = [True] if {not installed} else []\n"
        "    import importlib.util as u\n"
        "    real = u.find_spec\n"
        "    u.find_spec = lambda n, *a: None if n == 'ganutils' and hide and hide.pop() else real(n, *a)\n"
        "else:\n"
        "    calls = None\n"
        "try:\n"
        f"    exec({_setup_cell('01_mnist_gan')!r})\n"
        "    print(json.dumps({'cwd': os.getcwd(), 'pip': calls}))\n"
        "except Exception as e:\n"
        "    print(json.dumps({'error': f'{type(e).__name__}: {e}'}))\n")
    r = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, cwd=cwd,
                       timeout=60)
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_set_up_cell_moves_a_checkout_to_the_course_folder(tmp_path):
    assert _run_setup(ROOT / "notebooks", False, tmp_path) == {"cwd": str(ROOT), "pip": None}
    assert _run_setup(tmp_path, False, tmp_path) == {"cwd": str(tmp_path), "pip": None}


def test_set_up_cell_in_colab_unpacks_an_uploaded_zip_and_installs_from_it(tmp_path):
    import shutil

    upload = tmp_path / "content"
    (upload / "course-main" / "ganutils").mkdir(parents=True)
    (upload / "course-main" / "ganutils" / "__init__.py").write_text("")
    shutil.make_archive(str(upload / "course-main"), "zip", upload, "course-main")
    shutil.rmtree(upload / "course-main")
    result = _run_setup(upload, True, tmp_path, installed=False)
    course = upload / "course-main"
    assert result["cwd"] == str(course) and (course / "ganutils" / "__init__.py").exists()
    assert result["pip"] == [[sys.executable, "-m", "pip", "install", "-q", "-e", str(course)]]
    # ganutils importable already (a second session, say): nothing to install
    assert _run_setup(upload, True, tmp_path, installed=True)["pip"] == []
    # a second run of the cell, from the course's folder, changes nothing
    assert _run_setup(course, True, tmp_path)["cwd"] == str(course)


def test_set_up_cell_in_colab_without_the_course_says_how_to_get_it(tmp_path):
    result = _run_setup(tmp_path, True, tmp_path)
    assert result["error"].startswith("FileNotFoundError") and "git clone" in result["error"]
