"""Each notebook runs headless with tiny parameters (papermill injects them; nbval runs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import papermill
import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = {"epochs": 1, "limit": 256, "time_budget": None, "snapshot_epochs": [1], "eval_samples": 300}
NOTEBOOKS = {"01_mnist_gan": ["losses.png", "batch_losses.png", "training.gif", "samples.png",
                              "generator.keras", "snapshots/generator_epoch_0001.keras", "metrics.json",
                              "class_histogram.png", "generator_best.keras"]}


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_notebook_runs_with_tiny_parameters(name, tmp_path, mnist_arrays):
    out = tmp_path / "out"
    injected = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"), str(injected),
                               parameters={**TINY, "out_dir": str(out)}, prepare_only=True)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--nbval-lax", str(injected)], capture_output=True, text=True,
                       timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:]
    for f in NOTEBOOKS[name]:
        assert (out / f).exists(), f
