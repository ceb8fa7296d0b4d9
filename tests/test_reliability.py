"""A run killed with SIGKILL at any moment resumes to the very weights of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ganutils import sampling

ARGS = ["train", "mnist_dcgan", "--limit", "192", "--batch-size", "64", "--epochs", "4",
        "--quality-every", "0"]


def _start(out):
    return subprocess.Popen([sys.executable, "-m", "ganutils", *ARGS, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=os.environ.copy())


def _kill_when(proc, path: Path, delay: float, timeout: float = 180):
    """SIGKILL `proc` `delay` seconds after `path` appears (or when it ends by itself)."""
    t = time.time()
    while not path.exists() and proc.poll() is None and time.time() - t < timeout:
        time.sleep(0.02)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


def _weights(path):
    return sampling.load_generator(path).get_weights()


def test_sigkill_twice_then_resume_matches_a_clean_run(tmp_path, mnist_arrays):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    assert subprocess.run([sys.executable, "-m", "ganutils", *ARGS, "--out", str(clean)],
                          capture_output=True, env=os.environ.copy()).returncode == 0
    # First kill: just as epoch 2's frame lands, i.e. while its snapshot/state are written.
    _kill_when(_start(killed), killed / "frames" / "epoch_0002.png", 0.0)
    # Second kill: in the middle of epoch 4 (a little after epoch 3's frame).
    _kill_when(_start(killed), killed / "frames" / "epoch_0003.png", 0.3)
    assert not (killed / "generator.keras").exists()  # it really was interrupted
    final = subprocess.run([sys.executable, "-m", "ganutils", *ARGS, "--out", str(killed)],
                           capture_output=True, text=True, env=os.environ.copy())
    assert final.returncode == 0, final.stderr
    for a, b in zip(_weights(clean / "generator.keras"), _weights(killed / "generator.keras")):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert not list(killed.rglob(".*.tmp*")), "a temporary file was left behind"
