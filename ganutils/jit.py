"""XLA on or off, chosen by timing both on this machine, and remembered.

Whether XLA (`jit_compile=True`) speeds a GAN step depends on the machine: on one 2-core
CPU it made the 32x32 models faster, on another with bf16 units TensorFlow's own oneDNN
kernels ran the same step twice as fast as XLA did. So no fixed default is right. With
`jit_compile=None` (the default) a run times a few warm steps of its own model both ways
before training (in alternating rounds, so that a machine busy with something else slows
both alike), keeps the faster, and writes the choice to a small JSON file beside the
Keras configuration (`~/.keras/ganutils_jit.json`, or `$GANUTILS_JIT_CACHE`), keyed by
everything that changes the step's speed: so later runs and resumes do not pay for it again.
`jit_compile=True` or `False` skips all of this, as does `GANUTILS_JIT=on` or `off` in the
environment (for every run whose configuration leaves it automatic).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Callable

import keras

from .files import write_json

ENV_CACHE = "GANUTILS_JIT_CACHE"
ENV_FORCE = "GANUTILS_JIT"


def forced() -> bool | None:
    """True or False when $GANUTILS_JIT says on or off; None when unset or "auto"."""
    value = os.environ.get(ENV_FORCE, "auto").strip().lower()
    words = {"on": True, "1": True, "true": True, "off": False, "0": False, "false": False,
             "auto": None, "": None}
    if value not in words:
        from .errors import ConfigError
        raise ConfigError(f"{ENV_FORCE} must be on, off or auto, got {value!r}")
    return words[value]


def cache_path() -> Path:
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "ganutils_jit.json"


def cpu_flags() -> tuple[str, set]:
    """The CPU's model name and its feature flags (empty where /proc/cpuinfo is missing)."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                name = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:  # not Linux: the name is what platform knows
        pass
    return name, flags


def cpu_description() -> str:
    """The CPU's model name and the vector units that decide kernel speed."""
    name, flags = cpu_flags()
    units = [u for u, flag in (("AVX2", "avx2"), ("AVX-512", "avx512f"),
                               ("AVX-512 BF16", "avx512_bf16"), ("AMX", "amx_bf16"))
             if flag in flags]
    return f"{name} ({', '.join(units) or 'no AVX2'}, {os.cpu_count()} cores)"


def bf16_units() -> bool:
    """Whether the CPU computes in bfloat16 natively (AVX-512 BF16 or AMX): only there does
    the "mixed_bfloat16" precision save time; elsewhere each bfloat16 value is converted."""
    return bool(cpu_flags()[1] & {"avx512_bf16", "amx_bf16"})


def choose(key: dict, time_steps: Callable[[], dict], path: Path | None = None,
           log: Callable[[str], None] = print) -> bool:
    """Whether to compile with XLA for the step `key` describes: the cached answer, or the
    faster of `time_steps()`'s seconds per step {True: with XLA, False: without}."""
    path = Path(path or cache_path())
    name = json.dumps(key, sort_keys=True)
    try:
        cache = json.loads(path.read_text())
    except (OSError, ValueError):
        cache = {}
    if name in cache:
        return cache[name]["jit_compile"]
    seconds = time_steps()
    jit = seconds[True] < seconds[False]
    cache[name] = {"jit_compile": jit, "seconds_xla": seconds[True], "seconds_no_xla": seconds[False]}
    try:
        write_json(path, cache)
        where = f"remembered in {_shown(path)}"
    except OSError:
        where = "not remembered: the cache file is not writable"
    log(f"XLA {'on' if jit else 'off'}: a training step took {seconds[True]:.3f} s with XLA "
        f"and {seconds[False]:.3f} s without on this machine ({where})")
    return jit


def _shown(path: Path) -> str:
    """`path` as a reader should see it: under the home folder as ~/..., so a notebook's
    output names no folder of the machine it ran on."""
    try:
        return "~/" + path.resolve().relative_to(Path.home().resolve()).as_posix()
    except ValueError:
        return path.name


class StepClock(keras.callbacks.Callback):
    """Seconds per training step inside one `fit`, from the start of its third step (the
    first traces and compiles; the first run of the compiled step is slower too) to the end
    of the epoch. Ends the fit once `seconds` have passed and `min_steps` were timed."""

    SKIP = 2

    def __init__(self, seconds: float = 2.0, min_steps: int = 3):
        super().__init__()
        self.seconds, self.min_steps, self.timed = seconds, min_steps, 0
        self.first = None

    def on_train_batch_begin(self, batch, logs=None):
        # `batch` counts steps; with steps_per_execution = k it moves by k per call.
        if self.first is None and batch >= self.SKIP:
            self.first, self.start = batch, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.first is None:
            return
        self.timed = batch + 1 - self.first
        if self.timed >= self.min_steps and time.perf_counter() - self.start >= self.seconds:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.seconds_per_step = (time.perf_counter() - self.start) / self.timed
