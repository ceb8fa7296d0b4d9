"""Keep TensorFlow's start-up notices off a user's screen and out of the reports.

TensorFlow's C++ libraries write to the process's stderr while they load (oneDNN's "custom
operations are on", absl's "All log messages before absl::InitializeLog()"), before any log
level applies, and only on some CPUs: a command's one-line answer, or a notebook's output,
would depend on the machine. `install()` (called when ganutils is imported) makes the first
`import tensorflow` run with stderr pointed at /dev/null; an error in that import is still
raised as usual. Later C++ log lines below FATAL are hidden with `TF_CPP_MIN_LOG_LEVEL=3`:
e.g. the graph optimiser's "remapper failed", an optional fusion TensorFlow gives up and
recovers from. Set that variable yourself to see them.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import logging
import os
import sys


@contextlib.contextmanager
def stderr_muted():
    """Point file descriptor 2 at /dev/null (C and C++ code write there, not to sys.stderr)."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _MutedLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with stderr_muted():
            self.loader.exec_module(module)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` with the usual finders, then loads it with stderr muted."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the usual finders do the finding
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _MutedLoader(spec.loader)
        return spec


class _NoRetracingNotice(logging.Filter):
    """TensorFlow warns when several `tf.function`s are traced in a row ("5 out of the last
    5 calls ... triggered tf.function retracing"). Measuring several generators one after
    the other does exactly that, once per model, as intended: nothing a reader can act on."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


def install() -> None:
    if not any(isinstance(f, _NoRetracingNotice) for f in logging.getLogger("tensorflow").filters):
        logging.getLogger("tensorflow").addFilter(_NoRetracingNotice())
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:  # already loaded (e.g. Colab): its notices are printed
        return
    if not any(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())
