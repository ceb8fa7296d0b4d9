"""ganutils as a package: a wheel built from the checkout installs (not editable) into a
fresh virtual environment and works from outside the checkout, classifier weights included.
The environment sees this one's installed packages (TensorFlow and the rest) rather than
installing them again, which took most of the test's time: pip still resolves the wheel's
declared requirements against them, but no longer proves they download."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from ganutils import config

ROOT = Path(__file__).resolve().parent.parent


def _run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=900, **kw)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    return r


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"),
          str(ROOT)])
    (wheel,) = (tmp_path / "dist").glob("ganutils-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    ours = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    # this environment's packages after the new one's own (a plain path: its editable
    # ganutils, installed through a .pth file there, stays out)
    theirs = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (Path(ours.stdout.strip()) / "course_deps.pth").write_text("\n".join(theirs) + "\n")
    _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          "-c", str(ROOT / "requirements.lock"), f"{wheel}[cpu]"])
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "GANUTILS_DATA": str(config.data_dir()), "GANUTILS_JIT": "off"}
    env.pop("PYTHONPATH", None)
    where = _run([python, "-c", "import ganutils; print(ganutils.__file__)"], cwd=work, env=env)
    assert str(env_dir) in where.stdout  # the installed copy, not the checkout
    accuracy = _run([python, "-m", "ganutils", "classifiers", "mnist"], cwd=work, env=env)
    assert "mnist classifier: test accuracy 0.99" in accuracy.stdout
    trained = _run([python, "-m", "ganutils", "train", "mnist_gan", "--epochs", "1", "--limit",
                    "256", "--out", "run"], cwd=work, env=env)
    assert "trained 1 epochs" in trained.stdout and (work / "run" / "generator.keras").exists()
    assert (work / "run" / "losses.json").exists()


def test_tensorflow_retracing_notices_stay_off_a_report():
    import logging

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    log = logging.getLogger("tensorflow")
    keep = Keep()
    log.addHandler(keep)
    try:
        log.warning("5 out of the last 5 calls to <function f> triggered tf.function retracing.")
        log.warning("something a user should see")
    finally:
        log.removeHandler(keep)
    assert records == ["something a user should see"]
