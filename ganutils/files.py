"""Writing files so that a kill at any moment never leaves a half-written one that later loads."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path):
    """Yield a temporary name beside `path`; rename it onto `path` only if the block succeeds.

    A rename within one folder is atomic on POSIX: readers see the old file or the new one.
    The temporary name keeps the suffix, because Keras picks the format from it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{''.join(path.suffixes) or '.tmp'}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path, obj) -> None:
    """Write `obj` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1))


def check_writable(folder) -> Path:
    """Create `folder` if needed and prove we can write there, or say what to do."""
    from .errors import ConfigError

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / ".write-test") as tmp:
            tmp.write_bytes(b"")
        (folder / ".write-test").unlink()
    except OSError as exc:
        raise ConfigError(f"cannot write to output folder {folder} ({exc.strerror}): "
                          "choose a folder you can write to") from None
    return folder
