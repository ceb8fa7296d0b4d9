"""XLA on or off, chosen by timing (ganutils.jit): the faster path is taken and remembered,
a forced setting overrides, and a changed configuration is timed anew. Timings here are
supplied, never measured, so nothing depends on this machine's speed."""

from __future__ import annotations

import json

import pytest

from ganutils import jit, runs
from ganutils.errors import ConfigError


def _timer(seconds, calls):
    def time_steps():
        calls.extend(seconds)
        return seconds
    return time_steps


@pytest.mark.parametrize("xla_faster", [True, False])
def test_the_faster_path_is_taken_and_remembered(tmp_path, xla_faster):
    calls, lines = [], []
    seconds = {True: 1.0, False: 2.0} if xla_faster else {True: 2.0, False: 1.0}
    key = {"model": "dcgan32", "batch_size": 128}
    assert jit.choose(key, _timer(seconds, calls), tmp_path / "c.json", lines.append) is xla_faster
    assert sorted(calls) == [False, True] and len(lines) == 1
    assert f"XLA {'on' if xla_faster else 'off'}" in lines[0]  # one line, both timings
    assert "1.000 s" in lines[0] and "2.000 s" in lines[0]
    saved = json.loads((tmp_path / "c.json").read_text())
    assert list(saved.values())[0]["jit_compile"] is xla_faster
    # Asked again: the cached answer, nothing timed, nothing printed.
    again = jit.choose(key, _timer({True: 9.0, False: 9.0}, calls), tmp_path / "c.json", lines.append)
    assert again is xla_faster and len(calls) == 2 and len(lines) == 1


def test_a_changed_configuration_is_timed_again(tmp_path):
    calls = []
    path = tmp_path / "c.json"
    jit.choose({"model": "dcgan32", "precision": "float32"}, _timer({True: 1, False: 2}, calls), path, print)
    other = jit.choose({"model": "dcgan32", "precision": "mixed_bfloat16"},
                       _timer({True: 2, False: 1}, calls), path, print)
    assert other is False and len(calls) == 4
    assert len(json.loads(path.read_text())) == 2


def test_a_forced_setting_overrides_the_choice(tmp_path, monkeypatch):
    monkeypatch.setenv("GANUTILS_JIT_CACHE", str(tmp_path / "c.json"))
    def never(_):
        raise AssertionError("a forced setting must not time anything")
    monkeypatch.setattr(runs, "step_seconds", never)
    monkeypatch.setenv("GANUTILS_JIT", "auto")
    config = runs.TrainConfig(model="mlp")
    assert runs.resolve_jit(runs.TrainConfig(model="mlp", jit_compile=True)) is True
    assert runs.resolve_jit(runs.TrainConfig(model="mlp", jit_compile=False)) is False
    monkeypatch.setenv("GANUTILS_JIT", "on")
    assert runs.resolve_jit(config) is True
    monkeypatch.setenv("GANUTILS_JIT", "off")
    assert runs.resolve_jit(config) is False
    monkeypatch.setenv("GANUTILS_JIT", "sometimes")
    with pytest.raises(ConfigError, match="GANUTILS_JIT"):
        runs.resolve_jit(config)


def test_a_run_left_automatic_times_its_own_step_once(tmp_path, monkeypatch):
    monkeypatch.setenv("GANUTILS_JIT_CACHE", str(tmp_path / "c.json"))
    monkeypatch.setenv("GANUTILS_JIT", "auto")
    timed = []
    monkeypatch.setattr(runs, "step_seconds",
                        lambda c: timed.extend([True, False]) or {True: 0.5, False: 1.0})
    gan = runs.build_gan(runs.TrainConfig(model="mlp", precision="float32"))
    assert gan.jit_compile is True and sorted(timed) == [False, True]
    runs.build_gan(runs.TrainConfig(model="mlp", precision="float32"))  # remembered
    assert len(timed) == 2
    entry = list(json.loads((tmp_path / "c.json").read_text()).items())[0]
    assert '"model": "mlp"' in entry[0] and "cpu" in entry[0]


@pytest.mark.parametrize("steps_per_execution", [1, 3])
def test_step_seconds_times_both_paths_of_a_real_step(steps_per_execution):
    config = runs.TrainConfig(model="mlp", steps_per_execution=steps_per_execution)
    seconds = runs.step_seconds(config, seconds=0.1, rounds=2)
    assert set(seconds) == {True, False} and all(0 < s < 5 for s in seconds.values())


def test_cpu_description_names_the_vector_units(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("model name\t: Test CPU 9000\nflags\t\t: fpu avx2 avx512f amx_bf16\n")
    real_path = jit.Path
    monkeypatch.setattr(jit, "Path", lambda p: cpuinfo if p == "/proc/cpuinfo" else real_path(p))
    text = jit.cpu_description()
    assert text.startswith("Test CPU 9000 (AVX2, AVX-512, AMX,") and "AVX-512 BF16" not in text
    cpuinfo.write_text("model name\t: Old CPU\nflags\t\t: fpu sse4_2\n")
    assert jit.cpu_description().startswith("Old CPU (no AVX2,")


def test_the_logged_line_names_no_folder_of_the_machine(tmp_path, monkeypatch):
    """A notebook shows this line: under the home folder the cache reads ~/..., elsewhere
    only its file name."""
    monkeypatch.setenv("HOME", str(tmp_path))
    lines = []
    jit.choose({"model": "mlp"}, _timer({True: 1, False: 2}, []), tmp_path / ".keras" / "c.json",
               lines.append)
    jit.choose({"model": "mlp"}, _timer({True: 1, False: 2}, []), tmp_path.parent / "elsewhere.json",
               lines.append)
    assert "remembered in ~/.keras/c.json" in lines[0] and "remembered in elsewhere.json" in lines[1]
    assert str(tmp_path) not in "".join(lines)
