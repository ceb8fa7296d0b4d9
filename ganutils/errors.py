"""Errors a user can cause, with a message that names the problem and the fix.

Each one is a plain subclass of a builtin (so `except ValueError` still works) that the
command line prints as one line instead of a traceback.
"""


class GanUtilsError(Exception):
    """Base class: the message alone is what the user needs to read."""


class DataNotFoundError(GanUtilsError, FileNotFoundError):
    """A dataset is not in the data folder and could not be fetched."""


class NoImagesError(GanUtilsError, ValueError):
    """A folder holds no image that can be decoded."""


class ConfigError(GanUtilsError, ValueError):
    """A parameter is of the wrong type, out of range, or names nothing we know."""


class TrainingDiverged(GanUtilsError, RuntimeError):
    """A loss became NaN or infinite."""


def check_choice(kind: str, value, valid) -> None:
    """Raise a ConfigError listing the valid names when `value` is not one of them."""
    if value not in valid:
        raise ConfigError(f"unknown {kind} {value!r}: choose one of {', '.join(map(str, valid))}")
