"""Training runs unchanged under tf.distribute (MirroredStrategy over two logical CPUs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_mirrored_strategy_matches_one_device_on_the_global_batch():
    r = subprocess.run([sys.executable, str(Path(__file__).with_name("mirrored_check.py"))],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2 and out["mirrored_vars"] > 0
    assert out["replicas_equal"]
    # One SGD step on 128 images split 64 + 64 equals the step on all 128 on one device:
    # each replica's loss is scaled by 1/2 so the summed gradients are the global mean's.
    # Had it not been, the update would be twice as large (a difference of about `moved`).
    assert out["moved"] > 1e-3
    assert out["max_weight_diff"] < 1e-3 * out["moved"] + 1e-6
    # The logged loss is the global batch's, not half of it.
    assert abs(out["d_loss"][0] - out["d_loss"][1]) < 1e-4
