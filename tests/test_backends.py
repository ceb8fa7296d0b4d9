"""The JAX training step (for GPU machines without TensorFlow) equals the TensorFlow one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


CASES = [(0.0, "alternating"), (5.0, "alternating"), (0.0, "simultaneous"), (5.0, "simultaneous")]


def _run(backend, cases):
    """backend_check.py's output under `backend` for each (epochs, r1, update) in `cases`
    (epochs 0: the start), from one process."""
    env = {**os.environ, "KERAS_BACKEND": backend, "GANUTILS_CHECK_CASES": json.dumps(cases)}
    r = subprocess.run([sys.executable, str(Path(__file__).with_name("backend_check.py"))],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def steps():
    """{(backend, epochs, r1, update): output}: every case the tests compare, run once."""
    pytest.importorskip("jax", reason="JAX is not installed: pip install jax")
    found = {}
    for backend, cases in (("tensorflow", [(0, 0.0, "alternating"), *((1, *c) for c in CASES)]),
                           ("jax", [(1, *c) for c in CASES])):
        found.update({(backend, *c): out for c, out in zip(cases, _run(backend, cases))})
    return found


def _max_diff(a, b):
    return max(np.abs(np.array(x) - np.array(y)).max() for x, y in zip(a, b))


@pytest.mark.parametrize("r1, update", CASES)
def test_jax_step_matches_tensorflow_step(steps, r1, update):
    """With r1, the penalty's gradient of a gradient (through batch norm) matches too; and
    the simultaneous update matches as well."""
    tf_out, jax_out = steps["tensorflow", 1, r1, update], steps["jax", 1, r1, update]
    assert (tf_out["backend"], jax_out["backend"]) == ("tensorflow", "jax")
    assert tf_out["names"] == jax_out["names"]
    start = steps["tensorflow", 0, 0.0, "alternating"]["weights"]
    moved = 0.0
    for name, a, b, a0 in zip(tf_out["names"], tf_out["weights"], jax_out["weights"], start):
        a, b, a0 = np.array(a), np.array(b), np.array(a0)
        moved = max(moved, float(np.abs(a - a0).max()))
        assert np.allclose(a, b, atol=2e-5), f"{name}: max diff {np.abs(a - b).max()}"
    assert moved > 1e-2  # the two steps did change the weights
    if r1:  # and the penalty changed them: it is not silently dropped
        assert _max_diff(tf_out["weights"], steps["tensorflow", 1, 0.0, update]["weights"]) > 1e-3
    if update != "alternating":  # nor is the choice of update
        assert _max_diff(tf_out["weights"], steps["tensorflow", 1, r1, "alternating"]["weights"]) > 1e-3
    assert np.allclose(tf_out["d_loss"], jax_out["d_loss"], atol=1e-5)
    assert np.allclose(tf_out["g_loss"], jax_out["g_loss"], atol=1e-5)
