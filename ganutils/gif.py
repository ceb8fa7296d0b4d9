"""The epoch GIF: every saved grid frame, in order, as one looping animation."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio

from .files import atomic_path


def frames_to_gif(frames_dir, path, fps: float = 4.0, hold_last: float = 2.0) -> Path:
    """Assemble `frames_dir/epoch_*.png` into `path` (a GIF that loops forever).

    The last frame stays on screen for `hold_last` seconds so the final result can be read.
    """
    frames = sorted(Path(frames_dir).glob("epoch_*.png"))
    if not frames:
        raise FileNotFoundError(f"no epoch_*.png frames in {frames_dir}: train at least one epoch")
    images = [imageio.imread(f) for f in frames]
    durations = [1000.0 / fps] * (len(images) - 1) + [1000.0 * hold_last]
    with atomic_path(path) as tmp:
        imageio.mimsave(tmp, images, format="GIF", loop=0,  # Pillow wants a number for 1 frame
                        duration=durations if len(durations) > 1 else durations[0])
    return Path(path)


def show(path):
    """The GIF as an inline HTML image: it animates in Jupyter and Colab and, unlike
    `IPython.display.Image`, survives nbconvert's HTML export of a report."""
    import base64

    from IPython.display import HTML

    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return HTML(f'<img src="data:image/gif;base64,{data}" alt="{Path(path).name}: samples '
                'from fixed noise after each epoch"/>')
