"""Where the project looks for things: one setting for the data folder.

`GANUTILS_DATA` names the folder that holds the datasets (`mnist/`, `fashion_mnist/`,
`cifar10/`, `pokemon/`, ...). Unset, it is `data/` at the root of a checkout, or `data/`
under the working directory when ganutils is installed elsewhere (Colab, a pip install).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA = "GANUTILS_DATA"
ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The data folder, read from the environment at each call so tests can redirect it."""
    if os.environ.get(ENV_DATA):
        return Path(os.environ[ENV_DATA]).expanduser()
    if (ROOT / "pyproject.toml").exists():
        return ROOT / "data"
    return Path.cwd() / "data"
